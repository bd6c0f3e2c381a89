"""Scrapy settings for talkwatch: a polite, honest, bounded news crawler (tests override delays with -s)."""

BOT_NAME = "talkwatch"
SPIDER_MODULES = ["spiders.spiders"]
NEWSPIDER_MODULE = "spiders.spiders"

USER_AGENT = "talkwatch/0.1 (+https://github.com/talkwatch/talkwatch; news research crawler)"

# Politeness
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "spiders.robots.CappedProtegoRobotParser"  # the first 500 KiB, as Google reads
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0  # the default 5 s would make an offline run of 15 sources crawl for minutes
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounds
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # also caps gzip-decompressed bodies (HttpCompressionMiddleware)
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"  # the give-up is recorded as a FailureItem; not an error of the crawler
# not 429 (Too Many Requests): retrying it at once is what the server asked us not to do (a Retry-After of an
# hour was answered within the second); the page fails with "HTTP 429" and is tried again in the next runs
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
# The Scrapy default list minus CannotResolveHostError: offline (or a dead domain) DNS fails at once and
# retrying it only delays the run; everything else transient is still retried.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    OSError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
]

# Scrapy's HTTP/1.1 handler without Twisted's hidden retry of a GET on a reused connection (RetryMiddleware alone
# decides how often a page is asked for) and with a named error for a header line over 16 KiB (spiders/download.py)
DOWNLOAD_HANDLERS = {
    "http": "spiders.download.TalkwatchHTTPDownloadHandler",
    "https": "spiders.download.TalkwatchHTTPDownloadHandler",
}

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's, except that a robots.txt answering 5xx stops the host for this run (RFC 9309), as a passing failure
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.robots.ServerErrorRobotsTxtMiddleware": 100,
    # before RobotsTxtMiddleware (100): an offsite redirect target is refused before its robots.txt is asked for
    "spiders.middlewares.SourceGuardMiddleware": 50,
    # next to RobotsTxtMiddleware (100); its process_response sees the robots.txt responses that one fetches
    "spiders.middlewares.CrawlDelayMiddleware": 110,
    # after the download, before HttpCompressionMiddleware (590): a compressed robots.txt is inflated only as far
    # as it is read (500 KiB), so one that inflates past the 10 MB cap is still obeyed
    "spiders.robots.RobotsTxtDecompressionMiddleware": 595,
}

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19 otherwise opens a code-execution HTTP endpoint on localhost
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# talkwatch's own
# page requests per source and run (what is left waits for the next run); a source's max_pages overrides it
TALKWATCH_MAX_PAGES_PER_SOURCE = 500
# refused listed links (offsite, private, malformed, too long) recorded per source and run; the rest are counted
TALKWATCH_MAX_REFUSALS_PER_SOURCE = 1000
TALKWATCH_MAX_CHILD_SITEMAPS = 25  # per sitemap index, newest lastmod first: archive indexes list years of sitemaps
TALKWATCH_MAX_CRAWL_DELAY = 30.0  # robots.txt Crawl-delay is honoured up to this many seconds
