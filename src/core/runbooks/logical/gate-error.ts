/** Thrown by the switchover's gate (and the checks it calls): the switchover did not start, nothing was frozen on the source. */
export class GateError extends Error {}
