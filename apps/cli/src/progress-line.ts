const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner with a message on stderr while waiting; silent when stderr is not a terminal. */
export function createProgressLine() {
  const enabled = process.stderr.isTTY === true;
  let text = '';
  let frame = 0;
  const draw = () => process.stderr.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${text}`);
  const timer = enabled ? setInterval(draw, 80) : undefined;
  timer?.unref();
  return {
    update(message: string) {
      text = message;
      if (enabled) draw();
    },
    /** Clears the line (before other output, or at the end). */
    clear() {
      if (enabled) process.stderr.write('\r\x1b[2K');
    },
    stop() {
      clearInterval(timer);
      if (enabled) process.stderr.write('\r\x1b[2K');
    },
  };
}
