// Small helpers so no step of the e2e run can hang CI: every await that touches another process has a deadline.

export function seconds(startMs) {
  return ((Date.now() - startMs) / 1000).toFixed(1);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves like `promise`, or rejects with "`what` timed out after N s". */
export function withTimeout(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
