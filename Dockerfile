# The gateway as an image: compiled in one stage, run in another with production dependencies only.
# Not built where this project is developed (those machines cannot pull base images); what can be
# checked without Docker is, by test/deploy.test.ts and test/production.slow.test.ts.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
# HOST=0.0.0.0: inside a container, 127.0.0.1 is reachable by nothing outside it. The embedded
# emulator (UPSTREAM=emulator, the default) still listens on 127.0.0.1 only.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
# No curl in the image: node asks /health itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself, not npm start: it gets SIGTERM (and drains) and needs no compiler.
CMD ["node", "dist/main.js"]
