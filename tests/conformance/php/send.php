<?php
/*
 * Conformance driver: send one message with Symfony Mailer, building the
 * transport the way Laravel's MailManager::createSmtpTransport() does
 * (EsmtpTransportFactory + Dsn whose options are the whole mailer config,
 * then configureSmtpTransport() sets the socket timeout).
 *
 * Usage:  php tests/conformance/php/send.php '<json>'      (or the JSON on stdin)
 *
 * Input keys (one JSON object):
 *   host, port            where to connect
 *   scheme                "smtp" | "smtps" | null.  null/"" = let Laravel derive it:
 *                         11.35.1+ / 12 / 13: port 465 -> smtps, else smtp;
 *                         with "laravel": "10" (10.x, 11.0-11.34): encryption == "tls"
 *                         ? (port 465 ? smtps : smtp) : "" (Symfony >= 7.2 rejects "").
 *   user, password        MAIL_USERNAME / MAIL_PASSWORD (null = none)
 *   sender, recipient     envelope and header addresses
 *   ca_file               PEM bundle to trust (stream option "cafile"); null = the
 *                         system store / php.ini openssl.cafile, as a real app has.
 *   timeout               seconds (Laravel's mail.mailers.smtp.timeout); default 10
 *   auto_tls, require_tls, verify_peer, peer_fingerprint, local_domain
 *                         optional; passed as Dsn options exactly as Laravel passes
 *                         its config array. Versions of Symfony that lack an option
 *                         ignore it (reported in "ignored_options").
 *   encryption, laravel   only for the scheme derivation above
 *   autoload              optional path to a Symfony Mailer autoload.php
 *                         (also env SYMFONY_MAILER_AUTOLOAD); default is Debian's
 *                         /usr/share/php/Symfony/Component/Mailer/autoload.php
 *
 * Output: one JSON line on stdout:
 *   {"delivered": bool, "error": string|null, "error_class": ..., "scheme": ...,
 *    "implicit_tls": bool, "commands": [...client SMTP verbs, AUTH data redacted...],
 *    "ignored_options": [...], "symfony_mailer": {...}}
 * Exit status is 0 whenever that line was printed (delivery failure included);
 * 2 for unusable input.
 */

declare(strict_types=0);

const DEBIAN_AUTOLOAD = '/usr/share/php/Symfony/Component/Mailer/autoload.php';

function emit(array $result, int $status = 0): void
{
    fwrite(STDOUT, json_encode($result, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE) . "\n");
    exit($status);
}

/** Client commands from a Symfony debug transcript, without AUTH payloads. */
function client_commands(string $debug): array
{
    $known = ['EHLO', 'HELO', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT', 'DATA', 'RSET', 'QUIT', 'NOOP'];
    $out = [];
    foreach (explode("\n", $debug) as $line) {
        // Symfony >= 7.1 prefixes each transcript line with "[<ISO 8601 time>] ".
        $line = preg_replace('/^\[[^\]]*\] /', '', $line);
        if (!str_starts_with($line, '> ')) {
            continue;
        }
        $text = trim(substr($line, 2));
        if ($text === '' || $text === '.') {
            continue;
        }
        $verb = strtoupper(strtok($text, ' :'));
        if ($verb === 'AUTH') {
            $parts = preg_split('/\s+/', $text);
            $out[] = 'AUTH ' . strtoupper($parts[1] ?? '');
        } elseif (in_array($verb, $known, true)) {
            $out[] = $verb;
        } else {
            $out[] = '<auth-data>';
        }
    }
    return $out;
}

$raw = $argv[1] ?? stream_get_contents(STDIN);
$in = json_decode((string) $raw, true);
if (!is_array($in)) {
    emit(['delivered' => false, 'error' => 'input is not a JSON object', 'error_class' => 'usage'], 2);
}

$timeout = isset($in['timeout']) ? (float) $in['timeout'] : 10.0;

// Watchdog: whatever blocks, one JSON line comes out and the process ends.
if (function_exists('pcntl_alarm')) {
    pcntl_async_signals(true);
    pcntl_signal(SIGALRM, function () use ($timeout) {
        emit(['delivered' => false, 'error' => sprintf('watchdog: no outcome after %ds', (int) ceil($timeout * 4 + 5)),
              'error_class' => 'watchdog']);
    }, false);
    pcntl_alarm((int) ceil($timeout * 4 + 5));
}

$autoload = $in['autoload'] ?? getenv('SYMFONY_MAILER_AUTOLOAD') ?: DEBIAN_AUTOLOAD;
if (!is_file($autoload)) {
    emit(['delivered' => false, 'error' => "Symfony Mailer autoloader not found: $autoload", 'error_class' => 'setup'], 2);
}
require_once $autoload;

use Symfony\Component\Mailer\Transport\Dsn;
use Symfony\Component\Mailer\Transport\Smtp\EsmtpTransport;
use Symfony\Component\Mailer\Transport\Smtp\EsmtpTransportFactory;
use Symfony\Component\Mailer\Transport\Smtp\Stream\SocketStream;
use Symfony\Component\Mime\Email;

// ---- The mailer config array, as config/mail.php would hand it over. ----
$config = [
    'transport' => 'smtp',
    'scheme' => $in['scheme'] ?? null,
    'host' => (string) ($in['host'] ?? '127.0.0.1'),
    'port' => $in['port'] ?? 2525,
    'username' => $in['user'] ?? null,
    'password' => $in['password'] ?? null,
    'timeout' => $timeout,
];
foreach (['encryption', 'local_domain', 'auto_tls', 'require_tls', 'verify_peer', 'peer_fingerprint'] as $key) {
    if (array_key_exists($key, $in) && $in[$key] !== null) {
        $config[$key] = $in[$key];
    }
}

// ---- MailManager::createSmtpTransport() ----
$scheme = $config['scheme'] ?? null;
if (!$scheme) {
    if ((string) ($in['laravel'] ?? '') === '10') {
        // laravel/framework 10.x (and 11.0 - 11.34) src/Illuminate/Mail/MailManager.php
        $scheme = !empty($config['encryption']) && $config['encryption'] === 'tls'
            ? (($config['port'] == 465) ? 'smtps' : 'smtp')
            : '';
    } else {
        // laravel/framework 11.35.1+, 12.x, 13.x
        $scheme = ($config['port'] == 465) ? 'smtps' : 'smtp';
    }
}

// Which Dsn options this Symfony Mailer reads: its factory names them.
$factorySource = (string) file_get_contents((new \ReflectionClass(EsmtpTransportFactory::class))->getFileName());
$supports = [];
foreach (['auto_tls', 'require_tls', 'peer_fingerprint', 'verify_peer', 'local_domain'] as $key) {
    $supports[$key] = str_contains($factorySource, "'$key'");
}
$ignored = [];
foreach ($supports as $key => $known) {
    if (array_key_exists($key, $config) && !$known) {
        $ignored[] = $key;
    }
}

$version = null;
if ($autoload === DEBIAN_AUTOLOAD && function_exists('shell_exec')) {
    $version = trim((string) @shell_exec("dpkg-query -W -f='\${Version}' php-symfony-mailer 2>/dev/null")) ?: null;
} elseif (class_exists(\Composer\InstalledVersions::class)) {
    try {
        $version = \Composer\InstalledVersions::getPrettyVersion('symfony/mailer');
    } catch (\Throwable $e) {
    }
}

$result = [
    'delivered' => false,
    'error' => null,
    'error_class' => null,
    'scheme' => $scheme,
    'implicit_tls' => null,
    'commands' => [],
    'ignored_options' => $ignored,
    'symfony_mailer' => ['autoload' => $autoload, 'version' => $version, 'supports' => $supports],
];

$transport = null;
try {
    $factory = new EsmtpTransportFactory();
    $transport = $factory->create(new Dsn(
        $scheme,
        $config['host'],
        $config['username'] ?? null,
        $config['password'] ?? null,
        $config['port'] ?? null,
        $config
    ));

    // ---- MailManager::configureSmtpTransport() ----
    $stream = $transport->getStream();
    if ($stream instanceof SocketStream) {
        if (isset($config['timeout'])) {
            $stream->setTimeout($config['timeout']);
        }
        // Not Laravel: the test CA. A real app trusts php.ini openssl.cafile or
        // OpenSSL's default store (SSL_CERT_FILE / SSL_CERT_DIR are honoured).
        if (!empty($in['ca_file'])) {
            $options = $stream->getStreamOptions();
            $options['ssl']['cafile'] = $in['ca_file'];
            $stream->setStreamOptions($options);
        }
        $result['implicit_tls'] = $stream->isTLS();
    }

    $email = (new Email())
        ->from($in['sender'] ?? 'sender@example.com')
        ->to($in['recipient'] ?? 'recipient@example.com')
        ->subject('smtpdoctor conformance (Symfony Mailer)')
        ->text("Sent by tests/conformance/php/send.php\n");

    $sent = $transport->send($email);
    $result['delivered'] = true;
    $result['commands'] = client_commands($sent ? $sent->getDebug() : '');
} catch (\Throwable $e) {
    $result['error'] = $e->getMessage();
    $result['error_class'] = (new \ReflectionClass($e))->getShortName();
    $debug = method_exists($e, 'getDebug') ? $e->getDebug() : '';
    if ($transport !== null) {
        $debug .= $transport->getStream()->getDebug();
    }
    $result['commands'] = client_commands($debug);
}

// Close the session (QUIT) before printing, so the server sees a clean end.
// stop() is public from Symfony 6.x on; in 5.4 only the destructor reaches it.
try {
    if ($transport !== null && is_callable([$transport, 'stop'])) {
        $transport->stop();
    }
    $transport = null;
} catch (\Throwable $e) {
}

emit($result);
