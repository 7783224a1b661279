"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.from = exports.transporter = void 0;
const nodemailer_1 = __importDefault(require("nodemailer"));
const { SMTP_HOST, SMTP_USER, SMTP_PASS } = process.env;
exports.transporter = nodemailer_1.default.createTransport({
    host: SMTP_HOST,
    port: parseInt(process.env.SMTP_PORT ?? '465', 10),
    secure: (process.env.SMTP_SECURE ?? 'true').toLowerCase() !== 'false',
    auth: { user: SMTP_USER, pass: SMTP_PASS },
});
exports.from = process.env.MAIL_FROM;
