# A slim image that runs as an unprivileged user; secrets come from the environment only.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY core ./core
COPY bot ./bot
COPY storage ./storage
COPY templates ./templates
COPY seeds ./seeds
RUN pip install --no-cache-dir . \
    && python -I -c "from templates.i18n import compile_all; compile_all()" \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin appealbot \
    && mkdir -p /data /keys \
    && chown appealbot /data /keys \
    && chmod 700 /keys

USER 10001
# The data key lives on its own volume, never in the database's: a copy of /data names nobody.
ENV APPEALBOT_DATABASE_URL=sqlite+aiosqlite:////data/appealbot.db \
    APPEALBOT_KEY_FILE=/keys/data.key \
    APPEALBOT_HTTP_HOST=0.0.0.0 \
    APPEALBOT_HTTP_PORT=8080
VOLUME ["/data", "/keys"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
STOPSIGNAL SIGTERM
CMD ["appealbot", "run"]
