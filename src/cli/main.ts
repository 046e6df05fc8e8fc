import { commands } from './commands';
import { EXIT_CODES, EXIT_STATUS_HELP } from './interrupt';

/** pg-upgrade-pilot: the headless face of the runbook engine. */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? EXIT_CODES.succeeded : EXIT_CODES.usage;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`pg-upgrade-pilot: unknown command "${name}"\n\n${usage()}`);
    return EXIT_CODES.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }
  return command.run(rest);
}

function usage(): string {
  const lines = commands.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`);
  return `Usage: pg-upgrade-pilot <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n`
    + `Run "pg-upgrade-pilot <command> --help" for a command's options.\n\n${EXIT_STATUS_HELP}\n`;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`pg-upgrade-pilot: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_CODES.failed;
  },
);
