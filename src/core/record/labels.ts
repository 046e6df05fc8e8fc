/**
 * Parameters as a change board reads them: a label in the record's language instead of the camelCase key, and the
 * value with its unit (43200000 → "12 h", 16777216 → "16 MiB", true → "yes"). Known keys of every runbook have a
 * label; any other key is spelled out from its camelCase. Pure.
 */
import { formatBytes, formatDuration } from '../catalog/format';
import { formatCount, type RecordLang, type RecordText } from './i18n';

type Label = [en: string, es: string];

const LABELS: Record<string, Label> = {
  // rolling switchover
  fence: ['Fence on the old primary', 'Cerca en el primario antiguo'],
  switchoverTimeoutMs: ['Switchover timeout', 'Tiempo máximo del cambio'],
  lagThresholdBytes: ['Largest lag to start the switchover', 'Retraso máximo para empezar el cambio'],
  verifyMaxAgeMs: ['Oldest data comparison the switchover accepts', 'Comparación de datos más antigua que acepta el cambio'],
  maxTransactionSeconds: ['Longest open transaction allowed', 'Transacción abierta más larga permitida'],
  rebuild: ['Rebuild of the old primary', 'Reconstrucción del primario antiguo'],
  upgradeTo: ['Minor release to install', 'Versión menor a instalar'],
  probe: ['Write probe', 'Sonda de escritura'],
  probeTable: ['Write probe table', 'Tabla de la sonda'],
  startTimeoutMs: ['Server start timeout', 'Tiempo máximo de arranque'],
  streamTimeoutMs: ['Rejoin streaming timeout', 'Tiempo máximo para volver a replicar'],
  clientConnection: ['Applications\' connection string', 'Cadena de conexión de las aplicaciones'],
  rejoinConnection: ['Old primary reaches the new one at', 'El primario antiguo llega al nuevo por'],
  rejoinPassfile: ['Password file on the old primary\'s host', 'Fichero de contraseñas en el host del primario antiguo'],
  applicationName: ['Rejoined standby\'s application_name', 'application_name del standby reincorporado'],
  clientToolsPath: ['Client tools directory', 'Directorio de herramientas cliente'],
  hosts: ['Hosts (how commands run)', 'Hosts (cómo se ejecutan las órdenes)'],
  clientRouting: ['Client routing', 'Enrutado de clientes'],
  // minor upgrade
  toVersion: ['Target release', 'Versión de destino'],
  backup: ['Backup method', 'Método de copia de seguridad'],
  backupPath: ['Backup location', 'Ubicación de la copia'],
  backupJobs: ['Parallel backup jobs', 'Procesos paralelos de copia'],
  databases: ['Databases', 'Bases de datos'],
  readOnly: ['Read-only during the window', 'Solo lectura durante la ventana'],
  drainMaxActive: ['Active sessions allowed at the end of the drain', 'Sesiones activas permitidas al final del vaciado'],
  drainTimeoutMs: ['Drain timeout', 'Tiempo máximo de vaciado'],
  terminateAfterDrain: ['Terminate sessions left after the drain', 'Terminar las sesiones que queden tras el vaciado'],
  updateExtensions: ['Update extensions', 'Actualizar extensiones'],
  amcheckMaxIndexes: ['Indexes checked with amcheck', 'Índices comprobados con amcheck'],
  // logical upgrade (the common ones; others are spelled out)
  publication: ['Publication', 'Publicación'],
  subscription: ['Subscription', 'Suscripción'],
  database: ['Database', 'Base de datos'],
  lagThresholdMs: ['Largest lag to switch over', 'Retraso máximo para el cambio'],
};

/** "switchoverTimeoutMs" → "Switchover timeout"; "maxWalSenders" → "Max wal senders". */
export function spellOut(key: string): string {
  const words = key.replace(/(Ms|Bytes|Seconds)$/, '').replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim().toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : key;
}

export function paramLabel(key: string, lang: RecordLang): string {
  const l = LABELS[key];
  return l ? l[lang === 'es' ? 1 : 0] : spellOut(key);
}

function objectSummary(v: Record<string, unknown>): string {
  return Object.entries(v).map(([k, x]) => {
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      const brief = o.executor ?? o.kind ?? o.name;
      return `${k}: ${typeof brief === 'string' ? brief : Object.keys(o).join('/')}`;
    }
    return `${k}: ${String(x)}`;
  }).join('; ');
}

/** The value with its unit, in the record's language; undefined when there is nothing to show. */
export function paramValueText(key: string, v: unknown, t: RecordText, lang: RecordLang): string | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v === 'boolean') return v ? t('yes') : t('no');
  if (typeof v === 'number') {
    if (/Ms$/.test(key)) return formatDuration(v / 1000);
    if (/Seconds$/.test(key)) return formatDuration(v);
    if (/Bytes$/.test(key)) return formatBytes(v);
    return formatCount(v, lang);
  }
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' && x !== null ? Object.values(x).join('.') : String(x))).join(', ');
  if (typeof v === 'object') return objectSummary(v as Record<string, unknown>);
  return String(v);
}
