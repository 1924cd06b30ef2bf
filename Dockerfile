FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY templates ./templates
COPY seeds ./seeds
RUN pip install --no-cache-dir . && useradd --system --home /app appealbot
USER appealbot
EXPOSE 8080
CMD ["appealbot", "run"]
