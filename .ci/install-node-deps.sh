#!/usr/bin/env bash
# Install the Node.js dependencies of the Telegram Bot API emulator (telegram-test-api,
# pinned in tests/emulator/package-lock.json) used by the bot's end-to-end tests and
# benchmarks/bot_load.py. Without Node.js the e2e tests skip, so this is not an error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
emulator="$here/../tests/emulator"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-node-deps: node/npm not found; the bot e2e tests will be skipped" >&2
    exit 0
fi

cd "$emulator"
npm ci --no-audit --no-fund --loglevel=error
node -e "require('telegram-test-api'); console.log('install-node-deps: telegram-test-api', require('telegram-test-api/package.json').version)"
