"""``keepwarm auth google|microsoft``: authorise keepwarm to read and send mail with OAuth2.

Libraries that take long to import are imported inside the handlers, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
from typing import Any

from keepwarm.cli.context import Context
from keepwarm.errors import UsageError


def _auth(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.mail import oauth

    config = ctx.config
    settings = config.oauth
    client_id = args.client_id or (settings.client_id if settings else None)
    if not client_id:
        raise UsageError("give your OAuth client id: --client-id, or KEEPWARM_OAUTH_CLIENT_ID")
    client_secret = args.client_secret or (
        settings.client_secret.reveal() if settings and settings.client_secret else None
    )
    tenant = args.tenant or (settings.tenant if settings else "common")
    authority = settings.authority if settings else None
    prov = oauth.provider(args.provider, tenant, authority)
    path = oauth.token_path(config.state_dir, prov.name)
    config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if prov.device_url is not None and not args.browser:
        oauth.device_flow(prov, client_id, client_secret, path, say=print)
    else:
        oauth.loopback_flow(prov, client_id, client_secret, path, say=print)
    if settings is None or settings.provider != prov.name:
        print(f"now set KEEPWARM_OAUTH_PROVIDER={prov.name} and KEEPWARM_OAUTH_CLIENT_ID in your env file")
    return 0


def register(sub: Any) -> None:
    """Add ``auth`` to the top-level subparsers."""
    auth = sub.add_parser(
        "auth",
        help="authorise keepwarm with OAuth2 (Google Workspace, Microsoft 365)",
        description="Run an OAuth2 flow with your own client id and keep the refresh token in STATE_DIR.",
    )
    auth.add_argument("provider", choices=("google", "microsoft"))
    auth.add_argument("--client-id", help="default: KEEPWARM_OAUTH_CLIENT_ID")
    auth.add_argument("--client-secret", help="default: KEEPWARM_OAUTH_CLIENT_SECRET")
    auth.add_argument("--tenant", help="Microsoft tenant (default: KEEPWARM_OAUTH_TENANT or common)")
    auth.add_argument(
        "--browser", action="store_true", help="Microsoft: use the browser flow, not a device code"
    )
    auth.set_defaults(handler=_auth)
