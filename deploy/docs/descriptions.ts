/**
 * One line per configuration key, for docs/configuration.md. The schemas carry defaults
 * and types but no descriptions; config-reference.test.ts fails when a key the code knows
 * has no line here (or a line here names a key the code no longer knows).
 */
export const DESCRIPTIONS: Record<'poller' | 'storage' | 'webapp', Record<string, Record<string, string>>> = {
  poller: {
    global: {
      enable: 'Run at all; `false` makes the poller exit at once with code 2 (as the original).',
      poller_time: 'Seconds between two polls.',
      plugins_refresh_time: 'Seconds between two sendings of host and plugin info (sent with the first poll too).',
      jitter:
        'Upper bound, in seconds, of a random offset inside each interval, chosen once per start, so that many pollers do not hit the broker together; less than `poller_time`.',
      modules:
        "Modules to run, separated by `|`: `munin`, `system`, `libvirt`, `snmp`, `netlatency`, `carbon`, `statsd`, or a custom module (file path or package, optionally `:exportName`). The original's `numeter.poller.muninModule:MuninModule` is accepted.",
      rpc_hosts: "Broker `host[:port]`; the first entry is used when `amqp_url` is empty (as the original's option).",
      rpc_password: 'Broker password used with `rpc_hosts`.',
      amqp_user: 'Broker user used with `rpc_hosts`.',
      amqp_vhost: 'Broker vhost used with `rpc_hosts`.',
      amqp_url: 'Full `amqp://` or `amqps://` URL of the broker; overrides `rpc_hosts`, `amqp_user`, `rpc_password`, `amqp_vhost`.',
      amqp_heartbeat: 'AMQP heartbeat in seconds (0 = off): how fast a dead broker connection is noticed.',
      log_level: 'debug, info, warning, error or critical.',
      log_level_stdr: 'Original option, ignored (a warning says so): logs go to standard error or `log_path`.',
      log_path: 'Log file; empty = standard error (JSON lines).',
      state_dir: "Directory of the poller's state: generated host ID, rate state, spool.",
      spool_dir: 'Spool directory; empty = `<state_dir>/spool`.',
      spool_max_bytes: 'Largest spool on disk, in bytes; beyond it the oldest messages are dropped and counted.',
      spool_max_age: 'Seconds a spooled message is kept before it is dropped (and counted) if the broker stays unreachable.',
      spool_segment_bytes: 'Size of one spool segment file, in bytes.',
      spool_fsync: '`always`, `never`, or milliseconds between two fsyncs of the spool: what a power cut may lose.',
      forward_window: 'Messages published and not yet confirmed by the broker, at most.',
      stop_deadline:
        'Seconds the whole stop may take on SIGTERM (the running poll, the modules, the outstanding confirms; what is not delivered stays in the spool), and how long --once waits for delivery.',
      rate_heartbeat: 'Seconds after which a DERIVE/COUNTER rate is computed again from scratch; 0 = ten polls.',
      module_timeout: 'Seconds one module may take for one poll before it is abandoned; 0 = automatic.',
      max_points_per_message: 'Points in one data message, at most; bigger polls are split.',
      simulate: 'Print the messages as JSON lines instead of publishing them (as `--simulate`).',
      simulate_file: 'File the simulated messages are appended to; empty = standard output.',
      poller_time_file: 'Original option, ignored (a warning says so): the schedule is kept in memory.',
    },
    myinfo: {
      name: 'Host name shown in the webapp.',
      description: 'Host description shown in the webapp.',
      host_id: 'Host ID: routing key and storage directory name; empty = generated once and kept in `<state_dir>/host_id`.',
    },
    muninmodule: {
      munin_host: 'munin-node address.',
      munin_port: 'munin-node port.',
      plugins_enable: "Regular expression (anchored at the start, as the original's `re.match`) of the munin plugins to poll.",
      connect_timeout: 'Seconds to connect to munin-node.',
      read_timeout: 'Seconds to wait for one munin-node answer.',
      max_line_length: 'Longest line accepted from munin-node, in bytes; longer lines are refused.',
      max_lines: 'Most lines accepted in one munin-node answer.',
      munin_conf:
        "A Munin master's munin.conf: poll every node of its `[group;host]` / `[host]` sections (address, port, use_node_name, includedir), each as its own host; empty = none.",
      nodes:
        'More munin-nodes to poll centrally, separated by commas or spaces: `[group;]name[=address][:port]` (address = name, port 4949 by default).',
      host_id_format: 'Host ID of each centrally polled node: `{name}` (the Munin host name) and `{group}` are replaced.',
      local_node: "With central polling, also poll the local munin-node (`munin_host`) as this poller's own host.",
      max_parallel: 'Central polling: munin-nodes polled at the same time, at most.',
      node_timeout:
        'Central polling: seconds one node may take for one poll (then it is reported and abandoned); 0 = four fifths of poller_time.',
    },
    systemmodule: {
      root: 'Root of `/proc` and `/sys` for the system module (e.g. `/host` in a container that mounts the host there).',
    },
    carbonmodule: {
      listen: 'Address of the carbon plaintext listener (`host:port`, `[v6]:port`), TCP and UDP; module `carbon` in `[global] modules`.',
      udp: 'Also listen on UDP (same address).',
      prefix: 'Path prefix stripped before mapping (e.g. `collectd.`); paths without it are mapped as they are.',
      templates:
        'Comma-separated `[filter] template` rules (nodes `host`, `plugin`, `ds`, `skip`, a trailing `*` for the rest); empty = first node host, last data source, the nodes between the plugin. See docs/collectors.md.',
      max_line_length: 'Longest line accepted (characters); longer ones are skipped and counted.',
      max_series: 'Distinct host/plugin/data-source series this listener accepts; new ones beyond are refused and counted.',
      log_interval: 'Seconds between two log lines about one kind of refused input (each with an example).',
      flush_interval: 'Seconds between two flushes into the spool (may be fractional).',
      max_connections: 'TCP connections at once; one more is closed at once and counted.',
      line_timeout: 'Seconds a connection may hold an unfinished line (no newline) before it is closed.',
      max_bad_lines: 'Bad lines in a row after which a TCP connection is closed (a flood).',
      max_buffered_values:
        'Values held between two flushes; when reached the listener flushes at once and stops reading TCP clients until the spool took them (UDP datagrams are dropped and counted).',
    },
    statsdmodule: {
      listen: 'Address of the StatsD listener (`host:port`, `[v6]:port`), UDP; module `statsd` in `[global] modules`.',
      prefix: 'Name prefix stripped before mapping (e.g. `stats.`).',
      templates:
        'Comma-separated `[filter] template` rules, as for `[CarbonModule]`; a template without `host` puts the metrics on the poller host.',
      max_line_length: 'Longest line accepted (characters); longer ones are skipped and counted.',
      max_series:
        'Distinct metric names held at once (counters, timers, sets of the interval and every gauge); new ones beyond are refused and counted.',
      log_interval: 'Seconds between two log lines about one kind of refused input (each with an example).',
      flush_interval: 'Seconds over which samples are aggregated before they are published (etsy StatsD: 10).',
      percentiles:
        'Comma-separated timer percentiles (etsy `percentThreshold`), each giving `<name>_upper_<P>`, `_mean_<P>`, `_sum_<P>`, `_count_<P>`.',
      max_timer_values: 'Timer values kept per name and interval for percentiles and median (count, sum, lower, upper, mean stay exact).',
      max_set_size: 'Distinct members counted per set and interval.',
    },
  },
  storage: {
    global: {
      enable: 'Run at all; `false` makes the storage exit at once with code 2.',
      storage_name: 'Name of this storage: its queue is `numeter.storage.<name>`, shared by every process with that name.',
      log_level: 'trace, debug, info, warning, error or critical.',
      log_path: 'Log file; empty = standard error (JSON lines).',
      rpc_hosts: 'Broker `host[:port]` list (the first is used) when `[amqp] url` is empty, as the original.',
      rpc_password: 'Broker password used with `rpc_hosts`.',
      redis_storage_host: 'Redis host of the index.',
      redis_storage_port: 'Redis port.',
      redis_storage_timeout: 'Seconds to wait for Redis.',
      redis_storage_password: 'Redis password (empty = none).',
      redis_storage_db: 'Redis database number (the original shipped 2).',
      redis_sentinels:
        'Comma list of Redis Sentinel `host:port` (`[ipv6]:port`); when set, the master of `redis_sentinel_name` is asked of them (and again after a failover) instead of using `redis_storage_host`/`_port`. Empty = no Sentinel.',
      redis_sentinel_name: 'Master group name the sentinels monitor (`sentinel monitor <name> ...`); used only with `redis_sentinels`.',
      redis_sentinel_password: "Password of the sentinels themselves (empty = none); the master's is `redis_storage_password`.",
      redis_key_prefix: "Prefix of every Redis key; empty = the original's key names.",
      index_check_seconds:
        'Seconds between checks that Redis still holds the index (its `NUMETER_INDEX` marker); when it was lost (flushed, new server), it is rebuilt from the file tree while ingestion goes on.',
      host_list_file: 'File of the host IDs this storage takes, one per line; missing or empty (or a `*` line) = every host.',
      wsp_path: 'Root of the `.wsp` tree: `<wsp_path>/<md5(host)[:n]>/<host>/<plugin>/<ds>.wsp`.',
      wsp_path_md5_char: "Number of md5 characters of the host directory's parent (the original's layout).",
      log_level_stdr: 'Original option, accepted so an original file loads, and ignored: logs go to standard error or `log_path`.',
      wsp_clean_time: 'Original option, accepted and ignored (the original never called its cleaner): see `[cleaning]`.',
      wsp_delete: 'Original option, accepted and ignored: see `[cleaning] remove_files`.',
    },
    amqp: {
      url: 'Full `amqp://`/`amqps://` URL of the broker; empty = built from `rpc_hosts`, `user`, `rpc_password`, `vhost`.',
      user: 'Broker user used with `rpc_hosts`.',
      vhost: 'Broker vhost used with `rpc_hosts`.',
      queue_type: '`classic`, or `quorum` for a RabbitMQ cluster (replicated queue; a queue that exists keeps its type).',
      prefetch: 'Unacknowledged messages the broker may hand this storage at once.',
      heartbeat: 'AMQP heartbeat in seconds (0 = off).',
      max_requeues:
        'A message whose storing failed this many times (other than a refusal, Redis or a full disk) is dead-lettered with the last reason, so an unforeseen poison message cannot loop for ever.',
    },
    legacy: {
      enabled: "Also consume the original Numeter pollers' oslo.messaging envelopes.",
      url: 'Broker URL of the original pollers; empty = the main broker with `vhost`.',
      vhost: 'Vhost of the original pollers when `url` is empty.',
      exchange: "Exchange the original pollers publish to (the original's `numeter`).",
      exchange_durable: 'Whether that exchange is durable (the original declared it non-durable).',
    },
    cache: {
      max_points: 'Points held in memory at most; when reached, no more messages are taken (backpressure).',
      flush_points: 'Write to the files when this many points are pending…',
      flush_interval_ms:
        '…or when the oldest pending point has waited this many milliseconds. Messages are acknowledged only after their points are written.',
      max_open_files: 'Whisper files kept open at most.',
    },
    whisper: {
      schemas_file:
        'carbon `storage-schemas.conf` style file (`pattern`, `retentions`) matched on `<plugin>.<ds>`; empty = the original archives.',
      aggregation_file: 'carbon `storage-aggregation.conf` style file; empty = average, xFilesFactor 0.5.',
      sparse:
        'Create files sparse (ftruncate: the file system allocates only the blocks written) instead of writing zeros; the bytes read are the same.',
      max_future_seconds: 'Points up to this far in the future are accepted (poller clock skew); later ones are skipped and counted.',
    },
    limits: {
      max_new_series_per_host:
        'New series (one `.wsp` file each) one host may start per `new_series_interval_seconds`; beyond, their points are dropped, counted and logged. 0 = unlimited.',
      max_new_series_per_plugin: 'The same limit for one plugin of a host. 0 = unlimited.',
      new_series_interval_seconds: 'Seconds of the window of both limits (the counts start again from zero).',
    },
    cleaning: {
      enabled: "Mark hosts and plugins not seen for a while as deleted (the original's cleaner, now wired).",
      interval_seconds: 'Seconds between two cleaning runs.',
      mark_after_days: 'Days without data after which a host or plugin is marked deleted.',
      remove_files: 'Also remove the files and index entries of marked hosts and plugins after `grace_days`.',
      grace_days: 'Days between marking and removing.',
    },
    api: {
      enabled: 'Serve the REST API.',
      listen: 'Address the API listens on.',
      port: 'Port the API listens on.',
      prefix: "URL prefix of the Numeter API (the original's `/numeter-storage`).",
      auth_tokens: 'Comma list of Bearer tokens accepted; with `basic_auth_users` empty too, the API is open (keep it on 127.0.0.1 then).',
      basic_auth_users: 'Comma list of `user:password` accepted with HTTP Basic.',
      client_tokens:
        'Comma list of `name:requests_per_minute:token`: Bearer tokens of known clients (the webapp, Grafana), each with its own rate limit (0 = unlimited). They turn authentication on like `auth_tokens`.',
      rate_limit_per_minute:
        'Requests per minute per credential (each token or Basic user), or per client address for requests without credentials; 0 = no limit. The default allows 10 open dashboards of 30 panels refreshing every 10 s per credential. `/health` is never limited.',
      trust_proxy:
        'express `trust proxy`: `false`, `true`, a hop count or the addresses of the reverse proxy, so requests without credentials are limited per real client address (from X-Forwarded-For) rather than per proxy.',
      max_points: 'Points one request may return, at most.',
      max_read_points:
        'Stored values one `/data` or `/render` may read, at most (all series together, before consolidation and functions); checked from the file headers before any data is read.',
      max_read_points_in_flight:
        'Stored values all requests being served may hold together (about 16 bytes each in memory); a request that does not fit waits up to 10 s, then gets a 503. At least `max_read_points`.',
      max_find_results: 'Series a Graphite find or glob may expand to, at most.',
    },
  },
  webapp: {
    database: {
      engine:
        "The original's Django engine name, accepted so an existing `numeter_webapp.cfg` loads; anything but MySQL/MariaDB is refused.",
      host: 'MariaDB/MySQL host.',
      port: 'MariaDB/MySQL port.',
      user: 'Database user.',
      password: 'Database password.',
      name: 'Database name (letters, digits and `_`).',
      connection_limit: 'Connections in the pool, at most.',
    },
    web: {
      listen: 'Address the webapp listens on.',
      port: 'Port the webapp listens on.',
      secret_key:
        'Signs session cookies; several keys separated by commas rotate them (the first signs, all verify). Required in production.',
      secure_cookies: 'Send the session cookie over HTTPS only (set it behind a TLS proxy).',
      trust_proxy: 'express `trust proxy`: `true`, a hop count or addresses of the reverse proxy, so client addresses and HTTPS are seen.',
      session_max_age: 'Seconds a session lasts.',
      login_attempts: 'Login attempts per address per 15 minutes before 429.',
      public_url:
        "The webapp's address as its users reach it (`https://numeter.example.org`); alert notifications link to graphs under it. Empty: no links.",
    },
    storage: {
      timeout: 'Seconds to wait for one storage request.',
      hosts_cache: "Seconds the merged host lists of the storages are cached to find a host's storage.",
      retry_max_wait: 'Seconds waited at most before retrying a storage request answered 429 or 503 (its `Retry-After`, capped to this).',
      retry_deadline: 'Seconds a page or API request may spend retrying one storage request after 429/503 (0 = no retry).',
      populate_retry_deadline: 'The same for `populate`, where nobody waits on a page.',
      populate_concurrency: 'Hosts `populate` reads and writes at once (storage requests and database connections); `-c` overrides it.',
    },
    smtp: {
      host: 'The mail relay alert mails go through (one connection per mail).',
      port: 'Its port: 25, 587 for submission with STARTTLS, 465 with `tls = yes`.',
      tls: 'TLS from the first byte (SMTPS, usually port 465).',
      starttls: '`auto`: upgrade when the relay offers STARTTLS; `require`: fail without it; `never`: stay in clear text.',
      tls_verify: "Check the relay's certificate (turn off only for a private relay with a self-signed one).",
      user: 'Login to the relay (PLAIN/LOGIN as it offers); empty = no authentication.',
      password: 'Password of `user` (masked by --print-config).',
      from: 'The sender of alert mails.',
      subject_prefix: 'Put before every subject (`[numeter] CRITICAL: web1 :: cpu :: user`); empty = none.',
    },
    delivery: {
      poll_interval_ms:
        'How often the notification outbox is looked at for due notifications (at once again when a send ends and more wait).',
      lease_ms:
        'How long a claimed notification belongs to one process; a process that died is taken over after it. At least twice `send_timeout_ms`.',
      send_timeout_ms: 'One send at most (connect, write, answer; a command is killed); then it counts as a failure and is retried.',
      backoff_initial_ms: 'Wait before the first retry; doubled at each failure up to `backoff_max_ms`, half of each wait random (jitter).',
      backoff_max_ms: 'Longest wait between two retries.',
      max_attempts: 'Sends of one notification before it is marked failed (a 4xx answer or unusable settings fail at once).',
      max_age_ms: 'A notification not delivered this long after it was written is marked failed instead of retried.',
      per_contact_concurrency: 'Sends at once to one contact: a slow or failing contact holds only these, never the others.',
      max_in_flight: 'Sends at once in total, per process.',
      alertmanager_active_ms:
        'A firing alert sent to Alertmanager ends this long after its change unless a recovery resolves it first (without an end, Alertmanager resolves it after its `resolve_timeout`).',
      batch_size: 'Notifications looked at per claim.',
      user_destinations:
        'Hosts non-superusers may point webhook, Slack and Alertmanager contacts at: `hooks.slack.com, *.example.org, am.example.org:9093` (docs/security.md). Empty: only superusers create them.',
    },
    alerting: {
      enabled:
        'Run the alerting engine inside `numeter-webapp serve` (`numeter-webapp alerter` runs it alone either way). See alerting.md.',
      amqp_url:
        'The broker the pollers publish to (the engine consumes a copy of every message from `numeter.alerting`); vhost in the path, `%2F` = `/`.',
      amqp_user: 'Broker user.',
      amqp_password: 'Broker password.',
      queue_type: '`classic` or `quorum`: type of `numeter.alerting` when the engine creates it.',
      prefetch: 'Messages the engine handles at once.',
      heartbeat: 'AMQP heartbeat in seconds (0 = off).',
      nodata_minutes: 'A series with munin or view thresholds that sends nothing for this long becomes UNKNOWN; 0 = never.',
      sweep_seconds: 'How often no-data limits and repeats are checked.',
      rules_reload_seconds: 'How often the rule tables are checked for changes; an edit is evaluated within this.',
      flap_window: 'Flapping detection: verdicts considered (percent state change, as Nagios); 0 = off.',
      flap_start_percent: 'Percent state change at which a series is flapping (notifications stop).',
      flap_stop_percent: 'Percent state change under which flapping ends (contacts hear where it settled).',
      munin_conf: "A munin master's munin.conf whose `host.plugin.field.warning|critical` overrides apply (read at start); empty = none.",
      munin_host_id_format: "Host ID of a munin.conf host, as the poller's `[munin] host_id_format` (`{name}`, `{group}`).",
      value_flush_seconds:
        "How often the latest value of each problem is written to its state (the Problems page's value); changes of state are written at once.",
      value_flush_max_rows: 'States whose latest value is written per flush at most; the others wait for the next one.',
    },
    logging: {
      level: 'trace, debug, info, warn, error or fatal.',
      file: 'Log file; empty = standard error (JSON lines).',
      use_logging: "The original's switch; accepted and ignored.",
      info_file: "The original's log file: used when `file` is empty.",
      error_file: "The original's error log; accepted and ignored (errors go to the one log).",
      file_size: "The original's rotation size; accepted and ignored (rotate with logrotate).",
    },
  },
};
