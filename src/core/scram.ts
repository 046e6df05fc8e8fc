/**
 * A SCRAM-SHA-256 verifier computed here, as psql's \password does: a role's password is then set with
 * `PASSWORD 'SCRAM-SHA-256$…'` and the cleartext never travels in a statement a server could log (log_statement,
 * log_min_error_statement). Format (PostgreSQL's scram_build_secret): SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
 * The password is used as given (SASLprep is the identity for the ASCII passwords the tool generates).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const ITERATIONS = 4096;

export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
