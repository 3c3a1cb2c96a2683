# The engine as a container: port 8000, data in /app/data (mount ../data there), non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY web ./web
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data \
    MAST_DOWNLOAD_DIR=/app/data/mast \
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576
WORKDIR /app
RUN groupadd --gid 1001 engine && useradd --uid 1001 --gid engine --create-home engine \
    && mkdir -p /app/data && chown engine:engine /app/data
COPY --from=build --chown=engine:engine /app/package.json ./
COPY --from=build --chown=engine:engine /app/node_modules ./node_modules
COPY --from=build --chown=engine:engine /app/dist ./dist
COPY --from=build --chown=engine:engine /app/web/dist ./web/dist
USER engine
EXPOSE 8000
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:8000/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Exec form: node itself is PID 1 and handles SIGTERM (src/main.ts stops cleanly), so `docker stop`
# shuts the engine down without waiting for the kill timeout.
CMD ["node", "dist/main.js"]
