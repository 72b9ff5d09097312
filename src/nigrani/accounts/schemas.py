"""Request and response bodies of the accounts API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64)
    full_name: str = Field(min_length=1, max_length=160)
    role: str = Field(max_length=40)
    node_code: str = Field(max_length=40)
    password: str = Field(min_length=10, max_length=256)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str | None
    full_name: str
    role: str
    node_code: str | None = None
    phone_masked: str | None = None


class NodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    level: str
    name_en: str
    name_hi: str
    parent_code: str | None = None
    has_boundary: bool = False


class NodePage(BaseModel):
    items: list[NodeRead]
    total: int


class LocateRead(BaseModel):
    lat: float
    lon: float
    station: NodeRead | None
    chain: list[NodeRead]


class BoundaryImportRead(BaseModel):
    created: int
    updated: int


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    scopes: list[str] = Field(min_length=1, max_length=10)


class TokenRead(BaseModel):
    id: int
    name: str
    scopes: list[str]
    token: str | None = Field(default=None, description="Shown once, at creation")


class Problem(BaseModel):
    error: dict[str, Any]
