// Run a Node app folder's own mailer module once: node run_node.js FOLDER MODULE RECIPIENT.
// The module exports { transporter, from } as the app builds them (its createTransport call);
// the environment holds the app's .env. Prints {"delivered": bool, "error": "..."}.
const path = require('path');
const [folder, modulePath, recipient] = process.argv.slice(2);
const Module = require('module');
// The app's `require('nodemailer')` finds the conformance suite's pinned copy.
process.env.NODE_PATH = path.join(__dirname, '..', 'node', 'node_modules');
Module._initPaths();
const done = (result) => { console.log(JSON.stringify(result)); process.exit(0); };
try {
  const app = require(path.join(folder, modulePath));
  app.transporter.sendMail({ from: app.from, to: recipient, subject: 'Code', text: '123456' })
    .then(() => done({ delivered: true }))
    .catch((err) => done({ delivered: false, error: `${err.code || err.name}: ${err.message}` }));
} catch (err) {
  done({ delivered: false, error: `${err.name}: ${err.message}` });
}
