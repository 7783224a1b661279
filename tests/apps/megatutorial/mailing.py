# The Flask Mega-Tutorial's way: app.config.from_object(Config), Mail(app), mail.send(msg).
import os

from flask import Flask
from flask_mail import Mail, Message

from config import Config


def send(recipient):
    app = Flask(__name__)
    app.config.from_object(Config)
    mail = Mail(app)
    with app.app_context():
        mail.send(Message('Reset', sender=os.environ['MAIL_DEFAULT_SENDER'], recipients=[recipient], body='x'))
