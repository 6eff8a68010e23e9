"""Validate the deposit's RO-Crate with roc-validator against the Workflow Run Crate profile, with no network.

    python -m entangled_drums.product.crate_validation DIR [--severity REQUIRED|RECOMMENDED|OPTIONAL]

``DIR`` is an unpacked deposit (it holds ``ro-crate-metadata.json``). rocrate-validator 0.13 resolves the
crate's JSON-LD ``@context`` through its HTTP cache (requests-cache, SQLite: ``HttpRequester``, which it
installs as rdflib's JSON-LD document loader); offline (``ValidationSettings(offline=True, cache_path=...)``,
the CLI's ``--offline --cache-path``) it answers from that cache only and never opens a connection. Here a
fresh cache is filled from the local copies under ``workflow/crate/`` (``contexts.json`` maps each URL to
its file, with source and licence; a ``requests`` transport adapter serves the files, so filling the cache
needs no network either) and the validation runs offline against it. The profiles' SHACL shapes ship
inside the roc-validator package. A crate naming a context without a local copy is refused, by name.

Exit status 0 if every check of the profile at the chosen severity (default REQUIRED: the MUSTs of
Workflow Run Crate 0.5 and the profiles it builds on, RO-Crate 1.1, Process Run Crate 0.5 and Workflow
RO-Crate 1.0) passes; 1 with each failing check and entity listed; 2 on a usage error.
"""

import argparse
import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

from .records import repository_root

PROFILE = "workflow-run-crate-0.5"


def contexts_dir(root=None):
    """``workflow/crate`` of the repository or deposit."""
    return Path(root or repository_root()) / "workflow" / "crate"


def local_contexts(root=None):
    """``{url: path}`` of the local JSON-LD contexts, each checked against its recorded SHA-256."""
    base = contexts_dir(root)
    out = {}
    for url, entry in json.loads((base / "contexts.json").read_text()).items():
        path = base / entry["file"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry["sha256"]:
            raise ValueError(f"{path}: SHA-256 {digest}, contexts.json records {entry['sha256']}")
        out[url] = path
    return out


def crate_contexts(metadata):
    """The remote context URLs a crate's ``@context`` names."""
    context = metadata.get("@context", [])
    items = context if isinstance(context, list) else [context]
    return [c for c in items if isinstance(c, str)]


def fill_cache(cache_path, contexts):
    """Write the requests-cache SQLite file ``cache_path`` (``.sqlite`` appended, as roc-validator does) with a
    200 response for every ``{url: file}`` of ``contexts``, served from the files."""
    from requests.adapters import HTTPAdapter
    from requests_cache import CachedSession
    from urllib3 import HTTPResponse

    class LocalFiles(HTTPAdapter):
        def send(self, request, **kwargs):
            body = Path(contexts[request.url]).read_bytes()
            raw = HTTPResponse(
                body=io.BytesIO(body),
                headers={"Content-Type": "application/ld+json", "Content-Length": str(len(body))},
                status=200,
                reason="OK",
                preload_content=False,
                request_url=request.url,
            )
            return self.build_response(request, raw)

    session = CachedSession(cache_name=str(cache_path), backend="sqlite", expire_after=-1)
    try:
        for prefix in ("https://", "http://"):
            session.mount(prefix, LocalFiles())
        for url in contexts:
            response = session.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: the local copy was not cached (status {response.status_code})")
    finally:
        session.close()


def validate(crate_dir, profile=PROFILE, severity="REQUIRED", root=None):
    """``(passed, issues)`` of roc-validator on ``crate_dir``, offline with the local contexts; each issue a dict
    (severity, check, message, entity)."""
    from rocrate_validator import services
    from rocrate_validator.models import ValidationSettings

    crate_dir = Path(crate_dir)
    metadata = json.loads((crate_dir / "ro-crate-metadata.json").read_text())
    contexts = local_contexts(root)
    unknown = [url for url in crate_contexts(metadata) if url not in contexts]
    if unknown:
        raise ValueError(
            f"{crate_dir / 'ro-crate-metadata.json'}: @context {', '.join(unknown)} has no local copy in "
            f"{contexts_dir(root)} (contexts.json)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "contexts"
        fill_cache(cache, contexts)
        settings = ValidationSettings(
            rocrate_uri=str(crate_dir.resolve()),
            profile_identifier=profile,
            requirement_severity=severity,
            offline=True,
            cache_path=cache,
        )
        result = services.validate(settings)
        issues = [
            {
                "severity": str(getattr(issue.severity, "name", issue.severity)),
                "check": issue.check.identifier,
                "name": issue.check.name,
                "message": issue.message,
                "entity": getattr(issue, "violatingEntity", None),
            }
            for issue in result.get_issues()
        ]
        return bool(result.passed()), issues


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("crate", help="an unpacked deposit (its ro-crate-metadata.json)")
    parser.add_argument("--profile", default=PROFILE)
    parser.add_argument("--severity", default="REQUIRED", choices=("REQUIRED", "RECOMMENDED", "OPTIONAL"))
    args = parser.parse_args(argv)
    try:
        passed, issues = validate(args.crate, args.profile, args.severity)
    except (OSError, ValueError) as err:
        print(f"crate validation: error: {err}", file=sys.stderr)
        return 2
    for issue in issues:
        print(f"{issue['severity']} {issue['check']} {issue['name']}: {issue['message']} [{issue['entity']}]")
    verdict = "passes" if passed else "FAILS"
    print(f"{args.crate}: {verdict} {args.profile} at severity {args.severity} (offline, local contexts)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
