# The production image: web (gunicorn), worker and beat all run it (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    FLATTR_ENV=production

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app
# Dependencies first, exactly as locked, without the dev group: this layer is cached until
# pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin flattr \
    && mkdir -p /app/staticfiles \
    && chown flattr /app/staticfiles
USER flattr

EXPOSE 8000
# gunicorn reads WEB_CONCURRENCY for the number of workers.
CMD ["gunicorn", "flattr.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
