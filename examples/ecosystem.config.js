// pm2: check the mail settings before every start and every deploy.
// `pm2 start ecosystem.config.js` runs start.sh (below), which checks first;
// `pm2 deploy production` checks on the server before reloading.
module.exports = {
  apps: [
    {
      name: "web",
      // start.sh: smtpdoctor check --env-file .env --quiet --retries 5 && exec node server.js
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
      "post-deploy":
        "smtpdoctor check --env-file /srv/app/shared/.env --quiet && " +
        "npm ci --omit=dev && pm2 reload ecosystem.config.js --env production",
    },
  },
};
