// pm2: check the mail settings before every start and every deploy.
// `pm2 start ecosystem.config.js` runs start.sh (below), which checks first;
// `pm2 deploy production` checks on the server before reloading.
// smtpdoctor on the server, on the PATH of every user (pm2 deploy runs post-deploy over a
// non-interactive ssh session), from a checkout of its repository at path/to/smtpdoctor:
//   python3 -m venv /opt/smtpdoctor && /opt/smtpdoctor/bin/pip install path/to/smtpdoctor
//   ln -s /opt/smtpdoctor/bin/smtpdoctor /usr/local/bin/smtpdoctor
module.exports = {
  apps: [
    {
      name: "web",
      // start.sh: smtpdoctor check --env-file .env --quiet ... --max-time 60 && exec node server.js
      script: "./start.sh",
      cwd: "/srv/app/current",
      autorestart: true,
      // A broken mail setup exits 1 or 2 every time: don't restart in a tight loop.
      restart_delay: 30000,
    },
  ],
  deploy: {
    production: {
      user: "deploy",
      host: ["app.example.com"],
      ref: "origin/main",
      repo: "git@git.example.com:team/app.git",
      path: "/srv/app",
      // post-deploy runs in /srv/app/current. The .env lives in shared/ (it is not in git);
      // link it first, so this check, start.sh and the app all read the same file.
      "post-deploy":
        "ln -sfn /srv/app/shared/.env .env && " +
        "smtpdoctor check --env-file .env --quiet --max-time 60 && " +
        "npm ci --omit=dev && pm2 reload ecosystem.config.js --env production",
    },
  },
};
