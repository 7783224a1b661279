<?php
/*
 * Run a Laravel app folder's own config/mail.php once: php run_laravel.php FOLDER RECIPIENT.
 * env() is Laravel's (Illuminate\Support\Env::get: true/(true), false/(false), empty/(empty),
 * null/(null), surrounding quotes removed); the environment holds the app's .env. The default
 * mailer is looked up as MailManager does; an smtp mailer's config goes to send.php, which
 * builds the transport as MailManager::createSmtpTransport() does. Prints send.php's JSON line,
 * or {"delivered": false, ...} when the mailer is not smtp (nothing is sent at all).
 */

function env($key, $default = null)
{
    $value = getenv($key);
    if ($value === false) {
        return $default instanceof Closure ? $default() : $default;
    }
    switch (strtolower($value)) {
        case 'true': case '(true)': return true;
        case 'false': case '(false)': return false;
        case 'empty': case '(empty)': return '';
        case 'null': case '(null)': return null;
    }
    if (preg_match('/\A([\'"])(.*)\1\z/', $value, $m)) {
        return $m[2];
    }
    return $value;
}

[$folder, $recipient] = array_slice($argv, 1, 2);
$config = require $folder . '/config/mail.php';
$name = $config['default'];
$mailer = $config['mailers'][$name] ?? null;
if (!is_array($mailer) || ($mailer['transport'] ?? null) !== 'smtp') {
    echo json_encode(['delivered' => false, 'error' => "NotSent: the default mailer is {$name}"]), "\n";
    exit(0);
}
$input = [
    'host' => $mailer['host'] ?? null, 'port' => $mailer['port'] ?? null,
    'scheme' => $mailer['scheme'] ?? null, 'encryption' => $mailer['encryption'] ?? null,
    'user' => $mailer['username'] ?? null, 'password' => $mailer['password'] ?? null,
    'sender' => $config['from']['address'] ?? null, 'recipient' => $recipient,
    'ca_file' => getenv('SSL_CERT_FILE') ?: null, 'timeout' => 4,
];
passthru('php ' . escapeshellarg(__DIR__ . '/../php/send.php') . ' ' . escapeshellarg(json_encode($input)));
