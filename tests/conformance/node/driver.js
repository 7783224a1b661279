// nodemailer, the way a Node app creates its transport:
//   nodemailer.createTransport({host, port, secure, requireTLS, ignoreTLS, auth, tls})
// Run as `node driver.js '<json settings>'` (or the JSON on stdin); prints one JSON line
// {"delivered": bool, "error": "<name> [<code>]: <message>"} and exits 0.
//
// Settings: host (an IP literal: nodemailer resolves names with its own DNS queries, which
// must not leave the machine in tests), servername (the TLS name to verify, as the app's host
// name would be), port, user, password, sender, recipient, and nodemailer's own options:
// secure / requireTLS / ignoreTLS (left out when absent, so nodemailer's defaults apply, e.g.
// port 465 with secure unset means implicit TLS). timeout (seconds, optional) sets
// connectionTimeout, greetingTimeout and socketTimeout; absent, nodemailer's defaults
// (2 min, 30 s, 10 min) apply. trust "arg" passes tls.ca read from ca_file; "env" relies on
// NODE_EXTRA_CA_CERTS, set by the harness. hard_timeout: the watchdog, in seconds.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const nodemailer = require('nodemailer');

function emit(result) {
    process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

function describe(err) {
    if (!(err instanceof Error)) {
        return String(err);
    }
    return `${err.name}${err.code ? ` [${err.code}]` : ''}: ${err.message}`;
}

function readSettings() {
    const text = process.argv[2] !== undefined ? process.argv[2] : fs.readFileSync(0, 'utf8');
    return JSON.parse(text);
}

function main() {
    const s = readSettings();
    const hard = Number(s.hard_timeout) || 20;
    const timer = setTimeout(() => {
        const library = s.timeout == null ? 'none given by the app' : `${s.timeout} s`;
        emit({ delivered: false, hung: true, error: `Hung: no result after ${hard} s (library timeout: ${library})` });
    }, hard * 1000);
    if (!net.isIP(s.host)) {
        clearTimeout(timer);
        emit({ delivered: false, error: `DriverError: host ${s.host} is not an IP literal; nodemailer would query DNS` });
        return;
    }
    const options = { host: s.host, tls: {} };
    if (s.port != null) {
        options.port = s.port;
    }
    for (const key of ['secure', 'requireTLS', 'ignoreTLS']) {
        if (s[key] !== undefined && s[key] !== null) {
            options[key] = s[key];
        }
    }
    if (s.user) {
        options.auth = { user: s.user, pass: s.password || '' };
    }
    if (s.servername) {
        options.tls.servername = s.servername;
    }
    if (s.trust === 'arg' && s.ca_file) {
        options.tls.ca = fs.readFileSync(s.ca_file);
    }
    if (s.timeout != null) {
        const ms = Number(s.timeout) * 1000;
        Object.assign(options, { connectionTimeout: ms, greetingTimeout: ms, socketTimeout: ms });
    }
    let transport;
    try {
        transport = nodemailer.createTransport(options);
    } catch (err) {
        clearTimeout(timer);
        emit({ delivered: false, error: describe(err) });
        return;
    }
    transport.sendMail({
        from: s.sender,
        to: s.recipient,
        subject: '注册验证码',
        text: '您的验证码是:123456'
    }).then(() => {
        clearTimeout(timer);
        emit({ delivered: true, error: '' });
    }, err => {
        clearTimeout(timer);
        emit({ delivered: false, error: describe(err) });
    });
}

try {
    main();
} catch (err) {
    emit({ delivered: false, error: describe(err) });
}
