//! Every bound tidegate enforces, in one place, with its unit in its name.
//!
//! A bound crossed by a request answers a clear error naming the bound and its value; a bound
//! crossed by tidegate itself is a bug. The compile-time checks at the bottom relate the bounds
//! to the memory budget, so raising one without the others fails the build.

/// Longest string, key or number the JSON tokenizer keeps for one value.
pub const FIELD_BYTES_MAX: usize = 64 << 10;
/// Rows per batch handed to the writer; a request larger than this commits batch by batch.
pub const BATCH_ROWS_MAX: usize = 4096;
/// Encoded bytes per batch handed to the writer.
pub const BATCH_BYTES_MAX: usize = 1 << 20;
/// Batches waiting for the writer thread. A full queue pushes back on the TCP connection.
pub const WRITER_QUEUE_BATCHES_MAX: usize = 8;
/// Committed batches queued for one live (streaming) query. A query that falls this far
/// behind the writer ends with an error instead of making the writer wait or buffering more:
/// at most this many `BATCH_BYTES_MAX` batches are held for it.
pub const LIVE_BATCHES_QUEUED_MAX: usize = 32;
/// Stored rows a live query replays (`seek_to`) per step before it looks at live rows again.
pub const REPLAY_ROWS_PER_STEP: usize = 1024;
/// Size at which a table's memtable is sealed and flushed. fjall counts key and value bytes;
/// the skiplist holding them costs about 3-4x that for our small rows.
pub const MEMTABLE_BYTES_MAX: u64 = 4 << 20;
/// Full memtables allowed to wait for or be in a flush before the writer stops taking
/// batches.
pub const SEALED_MEMTABLES_MAX: usize = 0;
/// Longest table, stream or column name a CREATE or RENAME accepts.
pub const NAME_BYTES_MAX: usize = 255;
/// Longest tag name, and longest encoded primary key of a kv stream row, that is stored.
/// Both become storage keys, which fjall caps at 64 KiB; a longer one is refused at ingest
/// (400 naming the row) and matches nothing in a query.
pub const STORED_KEY_BYTES_MAX: usize = 4 << 10;
/// Longest the writer waits for flushes before taking the next batches anyway.
pub const FLUSH_WAIT_MS_MAX: u64 = 10_000;
/// Rows one sealed chunk holds at most: big enough to compress well, small enough that
/// reading the newest row of a tag decodes little.
pub const CHUNK_ROWS_MAX: usize = 4096;
/// Width of the time windows rows are partitioned into: a part never spans two, so old
/// windows can be dropped whole.
pub const PARTITION_WIDTH_NS: i64 = 86_400 * 1_000_000_000;
/// Estimated memory of the rows a table's head holds before a checkpoint seals them into
/// parts. Bounds both memory and how much of the write-ahead log a restart replays.
pub const TABLE_HEAD_BYTES_MAX: usize = 8 << 20;
/// Parts of one size class a merge combines (see `checkpoint::merge_candidates`).
pub const MERGE_FANOUT: usize = 4;
/// Parts one time window may hold before its newest are merged whatever their sizes, which
/// bounds the parts a read of one series seeks in.
pub const WINDOW_PARTS_MAX: usize = 12;
const _: () = assert!(MERGE_FANOUT >= 2 && WINDOW_PARTS_MAX >= MERGE_FANOUT);
/// Estimated memory of every table's head together; past it the biggest are checkpointed.
pub const HEADS_BYTES_MAX: usize = 16 << 20;
const _: () = assert!(TABLE_HEAD_BYTES_MAX <= HEADS_BYTES_MAX);
/// Segments the write-ahead log keeps before the tables holding the oldest one are
/// checkpointed, so the log (and a restart's replay) stays bounded.
pub const WAL_SEGMENTS_MAX: usize = 4;
/// Size at which the write-ahead log starts a new segment file; whole segments are deleted
/// once their rows are sealed.
pub const WAL_SEGMENT_BYTES: u64 = 16 << 20;
/// Block cache of the storage engine.
pub const BLOCK_CACHE_BYTES: u64 = 8 << 20;
/// Peak resident memory the defaults are sized for.
pub const RSS_PEAK_BYTES_BUDGET: usize = 64 << 20;

/// Longest request head (request line and headers).
pub const HEAD_BYTES_MAX: usize = 16 << 10;
/// Most headers in one request.
pub const HEADERS_MAX: usize = 64;
/// Default cap on one request body, as sent on the wire.
pub const BODY_BYTES_MAX_DEFAULT: u64 = 64 << 30;
/// Default cap on one gzip/deflate body after decompression (gzip bombs end here).
pub const INFLATED_BYTES_MAX_DEFAULT: u64 = 64 << 30;
/// Default cap on how many times its compressed size a gzip/deflate body may inflate to
/// (`--inflate-ratio-max`). Real sensor CSV and JSON compress 5-20x; blank lines compress
/// about 1000x, so 2 MB sent would buy 2 GiB of parsing, seconds of a core.
pub const INFLATE_RATIO_MAX_DEFAULT: u64 = 200;
/// Inflated bytes a body may produce before the ratio cap applies: a short, very repetitive
/// body (one row sent a thousand times) costs little and is never refused for its ratio.
pub const INFLATE_RATIO_EXEMPT_BYTES: u64 = 64 << 20;
/// Bytes read from the socket per read call.
pub const READ_CHUNK_BYTES: usize = 64 << 10;
/// Unread body bytes drained after a reply so the connection can be kept; past this, close.
pub const BODY_DRAIN_BYTES_MAX: u64 = 256 << 10;
/// Default cap on open connections, shared by every listener (`--max-connections`). At the
/// cap a new client takes the slot of the connection idle the longest between two requests;
/// only when every connection is in a request is it refused with 503.
pub const CONNECTIONS_MAX_DEFAULT: usize = 1024;
/// Connections refused at once. Each gets `REFUSAL_HEAD_READ_TIMEOUT_MS` to send its request
/// head, read only to answer the 503 in its dialect; further ones wait in the kernel's accept
/// queue meanwhile, so refusing costs at most this many read buffers.
pub const CONNECTIONS_REFUSING_MAX: usize = 8;
/// Time a refused connection has to send its request head, and after the 503 to finish
/// sending its body, which is discarded.
pub const REFUSAL_HEAD_READ_TIMEOUT_MS: u64 = 1000;
/// `Retry-After` of a 503 refusal.
pub const RETRY_AFTER_S: u64 = 1;
/// File descriptors kept for everything but client connections: the store's files, the
/// listeners, the executor's and signals' own, refused and just-evicted connections. The
/// soft open-file limit is raised at start to cover `--max-connections` plus these.
pub const FILE_DESCRIPTORS_RESERVED: u64 = 256;
/// Time allowed for the first request head of a connection to arrive.
pub const HEAD_READ_TIMEOUT_MS: u64 = 30_000;
/// Time a kept-alive connection may wait for its next request (Proton answers
/// `Keep-Alive: timeout=10`).
pub const KEEP_ALIVE_IDLE_TIMEOUT_MS: u64 = 10_000;
/// Time allowed between two reads of a request body.
pub const BODY_READ_IDLE_TIMEOUT_MS: u64 = 60_000;
/// Default of `--write-timeout`: a connection whose client accepts no byte of a reply for this
/// long is closed. Any byte accepted restarts the wait (see `server::write_all_progressing`).
pub const WRITE_TIMEOUT_MS_DEFAULT: u64 = 60_000;

/// Bytes of one ClickHouse `Native` block held until it is whole (its columns come one after
/// another, so no row can be stored before the last column arrives). timeplus-connect sends
/// blocks of about 2 MiB; a larger one is refused, naming this bound.
pub const NATIVE_BLOCK_BYTES_MAX: usize = 8 << 20;
/// Rows of one `Native` block (ClickHouse's `max_insert_block_size` is about a million).
pub const NATIVE_BLOCK_ROWS_MAX: usize = 1 << 21;
// One Native block per inserting connection stays a small part of the peak RSS budget.
const _: () = assert!(NATIVE_BLOCK_BYTES_MAX <= RSS_PEAK_BYTES_BUDGET / 8);
// Dictionary offsets are u32s into a block.
const _: () = assert!(NATIVE_BLOCK_BYTES_MAX < u32::MAX as usize);

/// Largest window a zstd request body may ask for (the memory its decoder keeps). The
/// format recommends decoders support 8 MiB; encoders use at most the input's size below it.
pub const ZSTD_WINDOW_BYTES_MAX: usize = 8 << 20;
const _: () = assert!(ZSTD_WINDOW_BYTES_MAX <= RSS_PEAK_BYTES_BUDGET / 8);

/// Largest JSON request object read whole (query requests, not ingest bodies).
pub const CONTROL_BODY_BYTES_MAX: usize = 1 << 20;
/// Longest SQL text.
pub const SQL_BYTES_MAX: usize = 1 << 20;
/// Deepest SQL statement: nested subqueries, parentheses, function calls, `NOT`s and
/// operator chains together (ClickHouse's `max_ast_depth`). Every walk over a statement
/// recurses at most this deep, so the executor threads' stacks are sized from it.
pub const SQL_DEPTH_MAX: usize = 256;
/// Stack of each executor thread, where requests (and so every SQL walk) run. Reserved
/// address space; only the pages a request touches become resident. Sized so a statement
/// `SQL_DEPTH_MAX` deep runs in a debug build with room to spare (tests/deep_requests.rs
/// runs each shape at the limit).
pub const EXECUTOR_STACK_BYTES: usize = 16 << 20;
/// Expression nodes that GROUP BY, HAVING and ORDER BY may copy from select-list aliases
/// they name (ClickHouse's `max_expanded_ast_elements`); about 100 bytes each.
pub const ALIAS_COPY_NODES_MAX: usize = 64 << 10;
/// Rows a query may hold in memory to sort them (ORDER BY not served by the key order).
pub const SORT_ROWS_MAX: usize = 1_000_000;
/// Entries a scan reads ahead from one store snapshot (a page; see `store::page`). Between
/// pages a scan holds no snapshot, so a client that stops reading pins its page and nothing
/// in the store. The first page is small, so a LIMIT that stops a scan early reads little
/// ahead; each next one is larger, up to the maximum. A page also ends once its entries
/// (slots, keys and values) reach `SCAN_PAGE_BYTES_MAX`, after at least one entry.
pub const SCAN_FIRST_PAGE_ROWS: usize = 128;
pub const SCAN_PAGE_ROWS_MAX: usize = 2048;
pub const SCAN_PAGE_BYTES_MAX: usize = 128 << 10;
const _: () = assert!(0 < SCAN_FIRST_PAGE_ROWS && SCAN_FIRST_PAGE_ROWS <= SCAN_PAGE_ROWS_MAX);
// Every connection holding a full page at once stays inside the peak RSS budget.
const _: () = assert!(SCAN_PAGE_BYTES_MAX <= RSS_PEAK_BYTES_BUDGET / 64);
/// Tags whose rows an ORDER BY time over several tags keeps decoded at once; the others are
/// known by their next time only and re-opened when their turn comes.
pub const MERGE_OPEN_TAGS_MAX: usize = 16;
/// Tags an ORDER BY time merges at once; above it the rows are sorted in memory instead,
/// under `SORT_ROWS_MAX`. A merge cursor costs ~100 bytes and its tag's name (kept so that
/// a row's name costs no lookup), so this caps it near 6 MiB plus 64k names.
pub const MERGE_TAGS_MAX: usize = 64 << 10;
/// Memory GROUP BY groups and DISTINCT rows may hold per query (estimated; see
/// `sql::aggregate`). 10,000 tags x a few aggregates, or a day of one-second buckets, fit.
pub const GROUP_BYTES_MAX: usize = 16 << 20;
/// Keys one DELETE removes per fjall batch, so a large delete never builds one huge batch.
pub const DELETE_BATCH_KEYS_MAX: usize = 16 << 10;
/// Bytes of response produced before it is handed to the socket.
pub const RESPONSE_CHUNK_BYTES: usize = 32 << 10;

/// Most decimal places `/db/query`'s `precision` may ask for: every f64 prints in fixed
/// memory, and 64 places are beyond anything an f64 holds.
pub const PRECISION_DIGITS_MAX: usize = 64;
/// JSON text of a `transpose=true` result held until its last row (columns come out whole,
/// so the reply cannot start its first column before the last row is read). Crossing it ends
/// the reply early.
pub const TRANSPOSE_BYTES_MAX: usize = 4 << 20;
const _: () = assert!(TRANSPOSE_BYTES_MAX <= RSS_PEAK_BYTES_BUDGET / 16);
/// Rows and cell bytes of `format=box` held to measure column widths; a longer result prints
/// as successive tables of at most this many rows, each with its header.
pub const BOX_PAGE_ROWS_MAX: usize = 1000;
pub const BOX_PAGE_BYTES_MAX: usize = 256 << 10;
const _: () = assert!(BOX_PAGE_BYTES_MAX <= TRANSPOSE_BYTES_MAX);

/// Longest `timeformat` parameter. A Go layout is compiled into one chunk per field; real
/// ones are under 64 bytes.
pub const TIMEFORMAT_BYTES_MAX: usize = 4 << 10;
/// Largest TZif file read for the local time zone (`/etc/localtime` or an absolute `TZ`);
/// real ones are under 4 KiB.
pub const TZIF_BYTES_MAX: u64 = 256 << 10;

/// Lifetime of a `/web/api/login` access token and of its refresh token: the peer's
/// defaults (`jwtConf` in machbase-neo's `mods/server/jwt.go`).
pub const ACCESS_TOKEN_TTL_S: i64 = 5 * 60;
pub const REFRESH_TOKEN_TTL_S: i64 = 60 * 60;
const _: () = assert!(0 < ACCESS_TOKEN_TTL_S && ACCESS_TOKEN_TTL_S < REFRESH_TOKEN_TTL_S);
/// Refresh tokens remembered for `/web/api/relogin` (about 200 bytes each). Past it, the
/// one closest to expiry is forgotten first, so a client that logs in in a loop cannot grow
/// the server's memory.
pub const REFRESH_TOKENS_MAX: usize = 1024;

/// Default interval of the background persist for append/async writes.
pub const SYNC_INTERVAL_MS_DEFAULT: u64 = 1000;

// A stored key (tag name or kv key) plus its prefix fits fjall's 64 KiB key.
const _: () = assert!(STORED_KEY_BYTES_MAX + 16 <= u16::MAX as usize);
// Batches waiting for the writer may use at most a quarter of the peak RSS budget.
const _: () = assert!(WRITER_QUEUE_BATCHES_MAX * BATCH_BYTES_MAX <= RSS_PEAK_BYTES_BUDGET / 4);
// One field must fit in a batch, or a single wide row could never be committed.
const _: () = assert!(FIELD_BYTES_MAX < BATCH_BYTES_MAX);
const _: () = assert!(WRITER_QUEUE_BATCHES_MAX > 0 && BATCH_ROWS_MAX > 0);
// Grouping state stays well inside the peak RSS budget.
const _: () = assert!(GROUP_BYTES_MAX <= RSS_PEAK_BYTES_BUDGET / 4);
// Refused connections' read buffers stay a small part of the peak RSS budget.
const _: () = assert!(CONNECTIONS_REFUSING_MAX * READ_CHUNK_BYTES <= RSS_PEAK_BYTES_BUDGET / 64);
// A `/db/query` body read under CONTROL_BODY_BYTES_MAX can carry SQL up to SQL_BYTES_MAX.
const _: () = assert!(CONTROL_BODY_BYTES_MAX >= SQL_BYTES_MAX);
