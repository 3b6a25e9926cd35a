"""Sending a notice: to a webhook in the group-robot convention (WeCom, DingTalk), or by
e-mail over SMTP. A sender raises `NotDeliveredError`, saying why, when the receiver did not take
the notice; the delivery loop records it and tries again later."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

import httpx

from assessment.domain.notices import (
    Channel,
    Delivery,
    WebhookFormat,
    notice_markdown,
    notice_title,
)
from assessment.settings import AssessmentSettings


class NotDeliveredError(Exception):
    pass


def webhook_body(delivery: Delivery) -> dict[str, Any]:
    content = notice_markdown(delivery.steps)
    if delivery.subscription.webhook_format is WebhookFormat.DINGTALK:
        title = notice_title(delivery.steps)
        return {"msgtype": "markdown", "markdown": {"title": title, "text": content}}
    return {"msgtype": "markdown", "markdown": {"content": content}}


def email_message(delivery: Delivery, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = delivery.subscription.target
    message["Subject"] = notice_title(delivery.steps)
    message["Message-ID"] = f"<{delivery.delivery_id}@firstloan>"
    message.set_content(notice_markdown(delivery.steps, limit_bytes=1_000_000))
    return message


class Senders:
    """The platform's senders. Notices are few (grouped per moment): a webhook call opens
    its own connection."""

    def __init__(self, settings: AssessmentSettings) -> None:
        self.settings = settings

    async def send(self, delivery: Delivery) -> None:
        if delivery.subscription.channel is Channel.WEBHOOK:
            await self.post_webhook(delivery)
        else:
            await asyncio.to_thread(self.send_email, delivery)

    async def post_webhook(self, delivery: Delivery) -> None:
        try:
            async with httpx.AsyncClient(timeout=self.settings.notice_timeout_seconds) as http:
                response = await http.post(
                    delivery.subscription.target, json=webhook_body(delivery)
                )
        except httpx.HTTPError as error:
            raise NotDeliveredError(f"{type(error).__name__}: {error}") from error
        if response.status_code >= 300:
            raise NotDeliveredError(f"HTTP {response.status_code}: {response.text[:300]}")
        # Group robots answer 200 with {"errcode": 0, "errmsg": "ok"}, or another errcode
        # when they refused the message (a wrong key, a keyword missing, too many a minute).
        try:
            answer = response.json()
        except ValueError:
            return  # a receiver that answers 2xx without JSON took it
        if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
            raise NotDeliveredError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")

    def send_email(self, delivery: Delivery) -> None:
        settings = self.settings
        message = email_message(delivery, settings.smtp_sender)
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.notice_timeout_seconds
            ) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise NotDeliveredError(f"{type(error).__name__}: {error}") from error
