# marketo-stream as a container: the TypeScript sources run as they are on Node 26 (type stripping),
# so the image is the production dependencies plus src/, bin/ and the simulator (for demos).
FROM node:26-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Production dependencies only: the image's own Node runs the service (bin/ falls back to it).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY simulator ./simulator
USER node
ENV METRICS_PORT=9464
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["bin/marketo-stream"]
CMD ["run"]
