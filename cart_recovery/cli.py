"""Command line: `python -m cart_recovery <command>` (also installed as `cart-recovery`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path


def cmd_generate(args: argparse.Namespace) -> int:
    from cart_recovery.generate import generate

    manifest = generate(
        Path(args.out),
        carts=args.carts,
        seed=args.seed,
        land_fx=args.land_fx,
        as_of=args.as_of,
        format=args.format,
        neutral_rejects=args.neutral_rejects,
    )
    outcomes = "checkout_outcomes" if args.format == "fivetran" else "cart_outcomes"
    summary = {k: manifest[k] for k in ("seed", "carts", "as_of", outcomes, "exceptions")}
    summary["landed_rows"] = {table: stats["landed_rows"] for table, stats in manifest["tables"].items()}
    print(json.dumps(summary, indent=2, sort_keys=True))
    print(f"Wrote {args.out} (full manifest: {Path(args.out) / 'manifest.json'})")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from cart_recovery.build import build
    from cart_recovery.errors import BuildError

    try:
        build(dbt_vars=args.vars, full_refresh=args.full_refresh)
    except BuildError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    _notify_after_publish()
    return 0


def _notify_after_publish() -> None:
    """After a successful publish, deliver exception events when a route is configured; a failure here is
    reported on one line and never fails or undoes the publish."""
    from cart_recovery.paths import Paths
    from cart_recovery.workflow.notify import any_route_configured, notify_published

    paths = Paths.from_env()
    if not any_route_configured(paths):
        return
    try:
        code = notify_published(paths)
    except Exception as error:  # the publish stands whatever notify does
        print(f"notify failed after the publish (the warehouse is published): {type(error).__name__}: {error}")
        return
    if code:
        print(f"notify exited {code} after the publish (the warehouse is published); run `cart_recovery notify`")


def _as_of(text: str) -> dt.datetime:
    """--as-of: 'now' (10 s ago, so that nothing lands later than the command runs) or an ISO-8601 time."""
    if text == "now":
        return (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10)).replace(microsecond=0)
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def cmd_demo(args: argparse.Namespace) -> int:
    from cart_recovery.build import build
    from cart_recovery.demo import RealDataLandedError, land_demo_data
    from cart_recovery.errors import BuildError
    from cart_recovery.paths import Paths

    paths = Paths.from_env()
    full_refresh = True  # the demo's calendar moved: its history is rebuilt from scratch rather than continued
    try:
        land_demo_data(paths.raw_dir, carts=args.carts, seed=args.seed)
    except RealDataLandedError as error:
        if not args.or_build:
            print(error, file=sys.stderr)
            return 2
        print(f"{paths.raw_dir} holds landed data that is not the demo's: building it.")
        full_refresh = False
    try:
        build(paths, full_refresh=full_refresh)
    except BuildError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    _notify_after_publish()
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from cart_recovery.docs_site import generate_site, serve
    from cart_recovery.errors import BuildError
    from cart_recovery.paths import Paths

    try:
        site_dir = generate_site(Paths.from_env(), Path(args.out) if args.out else None, dbt_vars=args.vars)
    except BuildError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    if not args.no_serve:
        serve(site_dir, port=args.port)
    return 0


def cmd_notify(args: argparse.Namespace) -> int:
    from cart_recovery.paths import Paths
    from cart_recovery.workflow.notify import notify_published

    return notify_published(Paths.from_env())


def cmd_metrics(args: argparse.Namespace) -> int:
    import shlex

    from cart_recovery.errors import BuildError
    from cart_recovery.paths import Paths
    from cart_recovery.semantic_query import DEFAULT_QUERY, query_metrics

    queries = [shlex.split(query) for query in args.query] if args.query else [list(DEFAULT_QUERY)]
    if args.csv:
        queries[0] = [*queries[0], "--csv", args.csv]
    try:
        query_metrics(Paths.from_env(), queries, dbt_vars=args.vars)
    except BuildError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cart_recovery", description="Cart Recovery Warehouse")
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write demo landing data (Parquet) and its manifest")
    generate.add_argument("--carts", type=int, default=20_000, help="number of carts [20000]")
    generate.add_argument("--seed", type=int, default=42, help="random seed [42]")
    generate.add_argument("--out", default="data/raw", help="landing directory to write [data/raw]")
    generate.add_argument(
        "--land-fx", action="store_true", help="also land reference/fx_rates (else the FX seed is used)"
    )
    generate.add_argument(
        "--format",
        choices=("native", "fivetran"),
        default="native",
        help="native: the landing contract (shop/, stripe/, messaging/); fivetran: the same world as Fivetran's "
        "Shopify, Stripe and Klaviyo tables, truth at checkout grain (docs/connectors.md) [native]",
    )
    generate.add_argument(
        "--neutral-rejects",
        action="store_true",
        help="junk rows with an invalid timestamp carry NULL instead of bad text, so both formats of one world "
        "reject the same records",
    )
    generate.add_argument(
        "--as-of",
        type=_as_of,
        default=_as_of("now"),
        help="the data ends at this UTC time, ISO-8601 (e.g. 2026-10-29T00:00:00Z), or 'now' [now, less 10 s]",
    )
    generate.set_defaults(func=cmd_generate)

    demo = commands.add_parser(
        "demo",
        help="generate the demo data set (ending now) in $CART_RECOVERY_RAW_DIR and build it; never touches "
        "landed data the generator did not write",
    )
    demo.add_argument("--carts", type=int, default=20_000, help="number of carts [20000]")
    demo.add_argument("--seed", type=int, default=42, help="random seed [42]")
    demo.add_argument(
        "--or-build", action="store_true", help="when real data is landed, build it instead (what `make run` does)"
    )
    demo.set_defaults(func=cmd_demo)

    build = commands.add_parser(
        "build",
        help="dbt build into the build file and publish it to $CART_RECOVERY_WAREHOUSE if every node passes",
    )
    build.add_argument("--vars", default=None, help="dbt --vars (YAML/JSON), passed through to dbt build")
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="start from an empty build file (keeps only the snapshot history) instead of the published one",
    )
    build.set_defaults(func=cmd_build)

    docs = commands.add_parser(
        "docs",
        help="generate the dbt docs site of the published warehouse (from a copy of it) and serve it on 127.0.0.1",
    )
    docs.add_argument("--out", default=None, help="site directory [<warehouse dir>/docs]")
    docs.add_argument(
        "--vars", default=None, help="dbt --vars (YAML/JSON) [those the published warehouse was built with]"
    )
    docs.add_argument("--port", type=int, default=8080, help="port to serve on [8080]")
    docs.add_argument("--no-serve", action="store_true", help="only generate the site (make docs-build)")
    docs.set_defaults(func=cmd_docs)

    notify = commands.add_parser(
        "notify",
        help="deliver the published warehouse's exception events (opened, escalated, resolved) to the configured "
        "routes of seeds/exception_routes.csv (docs/workflow.md)",
    )
    notify.set_defaults(func=cmd_notify)

    metrics = commands.add_parser(
        "metrics",
        help="MetricFlow over a copy of the published warehouse: recovery rate by channel by week (docs/metrics.md)",
    )
    metrics.add_argument(
        "--query",
        action="append",
        default=None,
        help="arguments of one `mf query`, quoted, as --query='--metrics X --group-by Y' (repeatable) "
        "[recovery rate by channel by cohort week]",
    )
    metrics.add_argument("--csv", default=None, help="also write the first query's table to this CSV file")
    metrics.add_argument(
        "--vars", default=None, help="dbt --vars (YAML/JSON) [those the published warehouse was built with]"
    )
    metrics.set_defaults(func=cmd_metrics)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
