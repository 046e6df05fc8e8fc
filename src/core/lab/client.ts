import { Client } from 'pg';
import type { LabServer } from './types';

/** A node-postgres client for a lab server (the caller ends it). Errors on an idle client are not fatal. */
export async function connectLab(server: LabServer, database = server.database): Promise<Client> {
  const client = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database, application_name: 'pgpilot-lab' });
  client.on('error', () => { /* e.g. the server was stopped under an idle client: the next query reports it */ });
  await client.connect();
  return client;
}
