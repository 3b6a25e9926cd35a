"""Roster's HTTP API (thin)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
