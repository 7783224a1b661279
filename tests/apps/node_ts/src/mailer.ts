import nodemailer from 'nodemailer';

const { SMTP_HOST, SMTP_USER, SMTP_PASS } = process.env;

export const transporter = nodemailer.createTransport({
  host: SMTP_HOST as string,
  port: parseInt(process.env.SMTP_PORT ?? '465', 10),
  secure: (process.env.SMTP_SECURE ?? 'true').toLowerCase() !== 'false',
  auth: { user: SMTP_USER!, pass: SMTP_PASS! },
});

export const from = process.env.MAIL_FROM;
