#!/usr/bin/env python3
"""Print an HS256 JSON Web Token for the REST API.

Usage: scripts/jwt.py SECRET_FILE [CLAIMS_JSON] [LIFETIME_SECONDS]

CLAIMS_JSON defaults to the demo claims: role dbx_oauth_api, tenant
ce5627DYnQ6abcD.  "exp" is set LIFETIME_SECONDS (default 3600) from now
unless the claims give one."""
import base64
import hashlib
import hmac
import json
import sys
import time


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(secret: bytes, claims: dict) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def main() -> None:
    if not 2 <= len(sys.argv) <= 4 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    try:
        secret = open(sys.argv[1], "rb").read().strip()
        claims = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {
            "role": "dbx_oauth_api", "sub": "demo-client", "tenants": ["ce5627DYnQ6abcD"]}
        lifetime = int(sys.argv[3]) if len(sys.argv) > 3 else 3600
    except OSError as error:
        sys.exit(f"jwt.py: cannot read the secret file: {error}")
    except ValueError as error:
        sys.exit(f"jwt.py: CLAIMS_JSON must be a JSON object and LIFETIME_SECONDS an integer: {error}")
    if not isinstance(claims, dict):
        sys.exit("jwt.py: CLAIMS_JSON must be a JSON object")
    claims.setdefault("exp", int(time.time()) + lifetime)
    print(sign(secret, claims))


if __name__ == "__main__":
    main()
