// Preloaded (`node --import`) into every service the stack starts: when the stack process
// is gone (killed with SIGKILL, a test runner that died), the service gets a SIGTERM and
// stops cleanly by its own handler instead of running on as an orphan.
const parent = Number(process.env.NUMETER_STACK_PARENT_PID);
if (Number.isInteger(parent) && parent > 1) {
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 1000);
  timer.unref();
}
