#!/bin/sh
# pm2's start script: refuse to start the app while its mail settings are broken.
set -e
smtpdoctor check --env-file .env --quiet --timeout 10 --retries 5 --retry-delay 3
exec node server.js
