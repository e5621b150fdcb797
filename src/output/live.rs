//! `LiveQueryBody`: drives an encoder over a live query (`sql::live`) as a response body
//! whose pieces wait for ingest. The head of the format (`begin`) goes out at once, so a
//! client sees the response start before the first row; each piece then carries the rows
//! ready when it was produced; the tail (`end`, JSON's `rows` and statistics) is written
//! when LIMIT ends the query, or at shutdown through `finish`.
//!
//! Invariant: bytes are appended to `out` only after the wait for rows completed, so a piece
//! the server cancels (client gone, shutdown) loses nothing.

use super::Encoder;
use crate::limits::RESPONSE_CHUNK_BYTES;
use crate::server::{LiveBodySource, LiveChunk};
use crate::sql::live::LiveQuery;
use crate::value::Value;

pub struct LiveQueryBody {
    query: LiveQuery,
    encoder: Box<dyn Encoder>,
    row: Vec<Value>,
    count: u64,
    started: bool,
    done: bool,
}

impl LiveQueryBody {
    pub fn new(query: LiveQuery, encoder: Box<dyn Encoder>) -> LiveQueryBody {
        LiveQueryBody {
            query,
            encoder,
            row: Vec::new(),
            count: 0,
            started: false,
            done: false,
        }
    }

    fn encode_row(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.count += 1;
        self.encoder.row(self.query.columns(), &self.row, out)
    }

    fn end(&mut self, out: &mut Vec<u8>) {
        self.done = true;
        self.encoder.end(self.count, out);
    }
}

impl LiveBodySource for LiveQueryBody {
    fn next_chunk<'a>(&'a mut self, out: &'a mut Vec<u8>) -> LiveChunk<'a> {
        Box::pin(async move {
            if self.done {
                return Ok(false);
            }
            if !self.started {
                self.started = true;
                self.encoder.begin(self.query.columns(), out);
                return Ok(true);
            }
            let more = self
                .query
                .next_row(&mut self.row)
                .await
                .map_err(|e| e.to_string())?;
            if !more {
                self.end(out);
                return Ok(false);
            }
            self.encode_row(out)?;
            while out.len() < RESPONSE_CHUNK_BYTES
                && self
                    .query
                    .ready_row(&mut self.row)
                    .map_err(|e| e.to_string())?
            {
                self.encode_row(out)?;
            }
            self.encoder.flush(out);
            if self.query.is_finished() {
                self.end(out);
                return Ok(false);
            }
            Ok(true)
        })
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.started && !self.done {
            self.end(out);
        }
    }
}
