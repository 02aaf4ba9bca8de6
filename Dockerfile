# syntax=docker/dockerfile:1
# (The syntax line enables BuildKit features such as the npm cache mount below.)

# ─── Build stage: compile TypeScript, then strip dev dependencies ────────────────────────────
# Node 24 LTS on Debian bookworm: same libc/distro as the runtime stage, so whatever lands in
# node_modules here runs unchanged there.
FROM node:24-bookworm-slim AS build
WORKDIR /app

# Never download a bundled browser: the runtime stage uses Debian's chromium. The env var covers
# any package that honours it; .puppeteerrc.cjs (skipDownload: true) is copied before `npm ci`
# because puppeteer's install script reads its config from the project root at install time.
ENV PUPPETEER_SKIP_DOWNLOAD=true

# Manifests first, so the dependency layer is reused until package*.json changes.
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

# Only what `tsc -p tsconfig.build.json` needs (it compiles src/ into dist/).
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Compile, then drop devDependencies (typescript, vitest, tsx, biome...) so the node_modules
# copied into the runtime stage is production-only.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ─── Runtime stage ───────────────────────────────────────────────────────────────────────────
FROM node:24-bookworm-slim AS runtime
WORKDIR /app

# chromium: the WhatsApp channel drives a real browser (no bundled Chrome, see above).
# fonts-noto-core: Noto Naskh/Sans/Kufi Arabic, so Arabic text renders in the browser instead of
#   empty boxes; fonts-noto-color-emoji: emoji in messages.
# tini: a minimal init as PID 1 that forwards SIGTERM to node (main.ts shuts down cleanly on it)
#   and reaps zombie processes left behind by chromium's helper processes.
# ca-certificates: system trust store for TLS made outside Node (chromium, child tools).
# --no-install-recommends and removing the apt lists keep the image small.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      chromium \
      fonts-noto-core \
      fonts-noto-color-emoji \
      tini \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# DATA_DIR holds PGlite data (when DATABASE_URL is unset) and the WhatsApp session; it is the
# one writable path and is meant to be a volume. The chromium path is exported under every name
# that may look for it: puppeteer's own variable, CHROMIUM_PATH, and WHATSAPP_CHROMIUM_PATH (the
# name .puppeteerrc.cjs refers to for the WhatsApp channel).
ENV NODE_ENV=production \
    PUPPETEER_SKIP_DOWNLOAD=true \
    PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium \
    CHROMIUM_PATH=/usr/bin/chromium \
    WHATSAPP_CHROMIUM_PATH=/usr/bin/chromium \
    DATA_DIR=/app/data \
    PORT=3000

# Application files stay owned by root (read-only to the app user). The layout mirrors the
# repository because the app resolves paths from PROJECT_ROOT (the folder above dist/):
# flows/, locales/, src/http/public (the web chat page) and src/staff/public (the staff
# console), both served as static files by the HTTP server.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY flows ./flows
COPY locales ./locales
COPY src/http/public ./src/http/public
COPY src/staff/public ./src/staff/public

# Created in the image and owned by `node` (uid 1000, from the base image): a new named volume
# mounted here is initialised with this ownership, so the non-root app can write to it.
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 3000

# No curl in the image: Node's built-in fetch probes /healthz (which also checks the database).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
# Run node directly, not `npm start`: npm's prestart would rebuild (no tsc here) and npm does
# not forward signals reliably.
CMD ["node", "dist/main.js"]
