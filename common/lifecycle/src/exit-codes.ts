/**
 * Exit codes, the same in every service (docs/operations.md): 0 stopped cleanly; 1 failed
 * at run time (a start that failed, a stop past its deadline, a second signal, `--once`
 * that collected nothing); 2 not started because of the configuration (invalid, listing
 * every problem, or `enable = false`), so a supervisor does not restart it in a loop.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_CONFIG = 2;
