/**
 * Debian's python3-aiosmtpd as the SMTP server alert mails are sent to: a Controller on a
 * given port whose handler parses each message with Python's own `email` package (the
 * reference MIME decoder: subjects and bodies come back decoded) and prints it as a JSON
 * line. Stopped and started again on the same port, it plays a relay that was down.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys
from email import message_from_bytes
from email.policy import default
from aiosmtpd.controller import Controller

class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        body = msg.get_body(preferencelist=('plain',))
        print(json.dumps({
            'from': envelope.mail_from, 'to': envelope.rcpt_tos,
            'subject': str(msg['subject']), 'messageId': str(msg['message-id']),
            'headerFrom': str(msg['from']), 'notification': str(msg['x-numeter-notification']),
            'text': body.get_content() if body is not None else None,
        }), flush=True)
        return '250 OK'

controller = Controller(Handler(), hostname='127.0.0.1', port=int(sys.argv[1]))
controller.start()
print('READY', flush=True)
sys.stdin.read()
controller.stop()
`;

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  messageId: string;
  headerFrom: string;
  notification: string;
  text: string | null;
}

export interface SmtpSink {
  port: number;
  /** Every mail received since the sink was made, across restarts. */
  mails: ReceivedMail[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function smtpSink(port: number): SmtpSink {
  let child: ChildProcess | undefined;
  const mails: ReceivedMail[] = [];
  return {
    port,
    mails,
    async start() {
      const started = spawn(PYTHON, ['-c', SCRIPT, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
      child = started;
      let stderr = '';
      started.stderr?.on('data', (chunk) => {
        stderr += String(chunk);
      });
      const lines = createInterface({ input: started.stdout as NodeJS.ReadableStream });
      await new Promise<void>((resolve, reject) => {
        started.once('exit', (code) => reject(new Error(`aiosmtpd exited (${code}): ${stderr.slice(0, 500)}`)));
        lines.on('line', (line) => {
          if (line === 'READY') resolve();
          else mails.push(JSON.parse(line) as ReceivedMail);
        });
      });
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.stdin?.end();
      const kill = setTimeout(() => running.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    },
  };
}
