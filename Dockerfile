# figures dashboard: docker build -t figures . && docker run -p 8501:8501 figures
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 10001 figures && mkdir -p /app/data && chown -R figures /app/data
USER figures

# SQLite in the container by default (mount a volume on /app/data to keep it);
# set FIGURES_DATABASE_URL=postgresql://... for a shared database, FIGURES_READ_ONLY=1
# for a public read-only view, FIGURES_EDITOR_PASSWORD for editors.
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"

CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
