/**
 * The dashboard's labels in the UI language (the panel sets <html lang> from vscode.env.language): English as written
 * in the code, Spanish from this table. A label missing here stays English.
 */
const ES: Record<string, string> = {
  'Upgrade Dashboard': 'Panel de actualización',
  'Pause updates': 'Pausar actualizaciones',
  'Resume updates': 'Reanudar actualizaciones',
  Refresh: 'Actualizar',
  Runbook: 'Procedimiento',
  'Switchover readiness': 'Preparación para la conmutación',
  'Replication lag (last 10 minutes)': 'Retraso de replicación (últimos 10 minutos)',
  Tables: 'Tablas',
  Subscriptions: 'Suscripciones',
  'Replication slots': 'Slots de replicación',
  'WAL senders and standbys': 'Emisores de WAL y réplicas',
  'Long transactions on the source': 'Transacciones largas en el origen',
  'Run next step': 'Ejecutar el siguiente paso',
  'Export upgrade record': 'Exportar acta de actualización',
  'Operator notes': 'Notas del operador',
  'Add note': 'Añadir nota',
  'No note yet.': 'Aún no hay notas.',
  preparing: 'preparando',
  copying: 'copiando',
  'catching up': 'poniéndose al día',
  ready: 'listo',
  'switched over': 'conmutado',
  finished: 'terminado',
  pending: 'pendiente',
  running: 'en ejecución',
  succeeded: 'correcto',
  failed: 'fallido',
  skipped: 'omitido',
  aborted: 'abortado',
  'Waiting for your answer': 'Esperando su respuesta',
  'Show the question': 'Mostrar la pregunta',
  'The run does nothing until you answer.': 'El procedimiento no hace nada hasta que responda.',
  'Switchover result': 'Resultado de la conmutación',
  'Writes unavailable for': 'Escrituras no disponibles durante',
  'Lost commits': 'Commits perdidos',
  'not verified (no write probe ran)': 'no verificado (no se ejecutó la sonda de escritura)',
  'not measured': 'no medido',
  Findings: 'Hallazgos',
  'acknowledged by': 'reconocido por',
  'not acknowledged yet': 'aún no reconocido',
  error: 'error',
  warning: 'aviso',
  'Fix:': 'Solución:',
  'After the switchover: watching the reverse path and the new primary.': 'Tras la conmutación: se vigila la ruta inversa y el nuevo primario.',
  'new primary (publishes back)': 'nuevo primario (publica de vuelta)',
  'old server (reverse subscriber)': 'servidor anterior (suscriptor inverso)',
  'a step is running…': 'un paso está en ejecución…',
  'every step is done': 'todos los pasos están hechos',
  Step: 'Paso',
  Status: 'Estado',
  Started: 'Inicio',
  Finished: 'Fin',
  Duration: 'Duración',
  'Confirmed by': 'Confirmado por',
  'PgBouncer poolers (client routing)': 'Poolers PgBouncer (enrutamiento de clientes)',
};

const spanish = typeof document !== 'undefined' && document.documentElement.lang.toLowerCase().startsWith('es');

/** The label in the UI language. */
export function L(text: string): string {
  return spanish ? ES[text] ?? text : text;
}
