#!/usr/bin/env bash
# Installs the two Proton drivers tests/drivers.rs runs, pinned, outside the checkout:
#   timeplus-connect (PyPI) with pandas, into a Python venv;
#   @clickhouse/client (npm) into an npm prefix.
# Both live under ${TIDEGATE_CI_CACHE:-$HOME/.cache/tidegate-ci} and are reused when present.
# Prints the two variables tests/drivers.rs reads; .ci/run exports them.
set -euo pipefail

TIMEPLUS_CONNECT_VERSION=0.8.17
PANDAS_VERSION=3.1.1
CLICKHOUSE_CLIENT_VERSION=1.23.1

cache="${TIDEGATE_CI_CACHE:-$HOME/.cache/tidegate-ci}"
venv="$cache/venv-timeplus-connect-$TIMEPLUS_CONNECT_VERSION"
prefix="$cache/npm-clickhouse-client-$CLICKHOUSE_CLIENT_VERSION"
mkdir -p "$cache"

if ! "$venv/bin/python" -c 'import timeplus_connect, pandas' 2>/dev/null; then
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # Debian's python3 needs its venv module installed separately.
        sudo=()
        [ "$(id -u)" = 0 ] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check \
        "timeplus-connect==$TIMEPLUS_CONNECT_VERSION" "pandas==$PANDAS_VERSION"
fi

node_major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || echo 0)
if [ "${node_major:-0}" -lt 20 ]; then
    echo "@clickhouse/client $CLICKHOUSE_CLIENT_VERSION needs Node.js 20 or newer; found $(node --version 2>/dev/null || echo none)" >&2
    exit 1
fi
if [ ! -f "$prefix/node_modules/@clickhouse/client/package.json" ]; then
    npm install --silent --no-audit --no-fund --prefix "$prefix" \
        "@clickhouse/client@$CLICKHOUSE_CLIENT_VERSION" >/dev/null
fi

echo "TIDEGATE_DRIVER_PYTHON=$venv/bin/python"
echo "TIDEGATE_DRIVER_NODE_MODULES=$prefix/node_modules"
