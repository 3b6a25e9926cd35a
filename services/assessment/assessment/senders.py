"""Sending a notice: to a webhook in the group-robot convention (WeCom, DingTalk), or by
e-mail over SMTP. A sender raises `NotDeliveredError`, saying why, when the receiver did not take
the notice; the delivery loop records it and tries again later.

Every attempt at one notice carries the same id (the header `X-Firstloan-Notice-Id` and
`notice_id` in a webhook's body; the `Message-ID` and the same header of an e-mail): delivery is
at least once, and a receiver that may see a notice twice deduplicates on that id."""

from __future__ import annotations

import asyncio
import json
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
from shared.webhook_targets import TargetPolicy, TargetRefusedError

NOTICE_ID_HEADER = "X-Firstloan-Notice-Id"
# A receiver's answer is a status and a line of JSON: more than this is not read.
ANSWER_MAX_BYTES = 64 * 1024


class NotDeliveredError(Exception):
    pass


def webhook_body(delivery: Delivery) -> dict[str, Any]:
    """The robot's markdown message; `notice_id` beside it (robots ignore keys they do not
    know, a supervisor's own receiver deduplicates on it)."""
    content = notice_markdown(delivery.steps)
    notice_id = delivery.delivery_id
    if delivery.subscription.webhook_format is WebhookFormat.DINGTALK:
        title = notice_title(delivery.steps)
        markdown = {"title": title, "text": content}
    else:
        markdown = {"content": content}
    return {"msgtype": "markdown", "markdown": markdown, "notice_id": notice_id}


def email_message(delivery: Delivery, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = delivery.subscription.target
    message["Subject"] = notice_title(delivery.steps)
    message["Message-ID"] = f"<{delivery.delivery_id}@firstloan>"
    message[NOTICE_ID_HEADER] = delivery.delivery_id
    message.set_content(notice_markdown(delivery.steps, limit_bytes=1_000_000))
    return message


class Senders:
    """The platform's senders. Notices are few (grouped per moment): a webhook call opens
    its own connection, to the address the target policy checked just before."""

    def __init__(self, settings: AssessmentSettings, targets: TargetPolicy) -> None:
        self.settings = settings
        self.targets = targets
        self.timeout = httpx.Timeout(
            settings.notice_timeout_seconds, connect=settings.webhook_connect_timeout_seconds
        )

    async def send(self, delivery: Delivery) -> None:
        if delivery.subscription.channel is Channel.WEBHOOK:
            await self.post_webhook(delivery)
        else:
            await asyncio.to_thread(self.send_email, delivery)

    async def post_webhook(self, delivery: Delivery) -> None:
        try:
            pinned = await self.targets.check(delivery.subscription.target)
        except TargetRefusedError as error:
            raise NotDeliveredError(f"target refused: {error}") from error
        headers = {"Host": pinned.host_header, NOTICE_ID_HEADER: delivery.delivery_id}
        try:
            async with (
                httpx.AsyncClient(
                    timeout=self.timeout, follow_redirects=False, trust_env=False
                ) as http,
                http.stream(
                    "POST",
                    pinned.url,
                    json=webhook_body(delivery),
                    headers=headers,
                    extensions={"sni_hostname": pinned.server_name},
                ) as response,
            ):
                answer = await _read_at_most(response, ANSWER_MAX_BYTES)
        except httpx.HTTPError as error:
            raise NotDeliveredError(f"{type(error).__name__}: {error}") from error
        if response.is_redirect:
            where = response.headers.get("location", "")
            raise NotDeliveredError(f"HTTP {response.status_code} to {where[:200]}: not followed")
        if response.status_code >= 300:
            text = answer.decode("utf-8", "replace")[:300]
            raise NotDeliveredError(f"HTTP {response.status_code}: {text}")
        _check_robot_answer(answer)

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


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk[: limit - size])
        size += len(chunks[-1])
        if size >= limit:
            break
    return b"".join(chunks)


def _check_robot_answer(answer: bytes) -> None:
    """Group robots answer 200 with {"errcode": 0, "errmsg": "ok"}, or another errcode
    when they refused the message (a wrong key, a keyword missing, too many a minute)."""
    try:
        found = json.loads(answer)
    except ValueError:
        return  # a receiver that answers 2xx without JSON took it
    if isinstance(found, dict) and found.get("errcode", 0) not in (0, "0"):
        raise NotDeliveredError(f"errcode {found.get('errcode')}: {found.get('errmsg', '')}")
