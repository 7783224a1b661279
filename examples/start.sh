#!/bin/sh
# pm2's start script: refuse to start the app while its mail settings are broken.
# pm2 runs it in /srv/app/current, where post-deploy linked .env to shared/.env:
# the file checked here is the file the app reads. --max-time 60 bounds the wait
# (retries included) so a dead network does not hold the start forever.
set -e
smtpdoctor check --env-file .env --quiet --timeout 10 --retries 5 --retry-delay 3 --max-time 60
exec node server.js
