//! [`LogLayer`]: each enabled `tracing` event becomes one record with its
//! fields and span scope; the logger's filter answers callsite interest.

use super::log_record::{is_log_record, Origin};
use super::visit::{encode_event, encode_log_record, FieldsVisitor};
use super::{level_filter_of, level_of};
use crate::field::{push_span, replace_fields};
use crate::logger::Logger;
use crate::record::RecordKind;
use crate::signal::Hold;
use std::sync::Arc;
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Event, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The `tracing` layer of a logger; made by [`layer`](super::layer).
#[derive(Clone, Debug)]
pub struct LogLayer {
    logger: Logger,
    /// Keeps the reopen signal's handler while the layer lives (see
    /// `lifecycle`).
    _signal: Option<Arc<Hold>>,
}

/// A span's fields, encoded once (see `field`) for each logger whose
/// layer accepted the span, kept in its extensions. The layers of several
/// loggers may share a subscriber, and so the span's extensions: each
/// finds its encoding under its logger's key ([`LogLayer::key`]).
struct SpanFields {
    /// The first layer's `(key, fields)`.
    first: (usize, Vec<u8>),
    /// Other layers', in the order they saw the span (none allocated for
    /// a single layer).
    more: Vec<(usize, Vec<u8>)>,
}

impl SpanFields {
    fn get(&self, key: usize) -> Option<&Vec<u8>> {
        std::iter::once(&self.first)
            .chain(&self.more)
            .find_map(|(k, f)| (*k == key).then_some(f))
    }

    fn get_mut(&mut self, key: usize) -> Option<&mut Vec<u8>> {
        std::iter::once(&mut self.first)
            .chain(&mut self.more)
            .find_map(|(k, f)| (*k == key).then_some(f))
    }
}

impl LogLayer {
    pub(super) fn new(logger: Logger, signal: Option<Arc<Hold>>) -> LogLayer {
        LogLayer {
            logger,
            _signal: signal,
        }
    }

    /// The key of this layer's fields in [`SpanFields`]: its logger's
    /// address, which the layer keeps alive. Two layers of one logger
    /// share an encoding (a field recorded again replaces its value, so
    /// both recording it leaves the same bytes).
    fn key(&self) -> usize {
        std::sync::Arc::as_ptr(&self.logger.shared) as usize
    }

    /// The most bytes a span's fields are kept to: more could not fit in
    /// any record (the ring's capacity), so copying stops there.
    fn span_cap(&self) -> usize {
        self.logger.shared.ring_capacity
    }

    /// The logger's decision for a callsite (span or event).
    fn accepts(&self, meta: &Metadata<'_>) -> bool {
        self.logger
            .shared
            .enabled_for(level_of(meta.level()), meta.target())
    }

    /// [`LogLayer::accepts`] for the metadata of a span or event at hand,
    /// whose target is static: cached per thread by its address.
    fn accepts_static(&self, meta: &'static Metadata<'static>) -> bool {
        self.logger
            .shared
            .enabled_static(level_of(meta.level()), meta.target())
    }

    /// Logs `event`, accepted, under `target` and `at`: its payload by
    /// `encode`, then its span scope.
    fn log_event<S>(
        &self,
        event: &Event<'_>,
        ctx: &Context<'_, S>,
        target: &str,
        at: Option<(&str, u32)>,
        encode: fn(&mut Vec<u8>, &Event<'_>, usize),
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let level = level_of(event.metadata().level());
        let scope = ctx.event_scope(event);
        let key = self.key();
        self.logger
            .log_encoded(RecordKind::Scoped, level, target, at, |out, cap| {
                encode(out, event, cap);
                for span in scope.into_iter().flat_map(|s| s.from_root()) {
                    let ext = span.extensions();
                    if let Some(fields) = ext.get::<SpanFields>().and_then(|f| f.get(key)) {
                        push_span(out, span.name(), fields, cap);
                    }
                }
            });
    }
}

impl<S> tracing_subscriber::Layer<S> for LogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        match self.accepts(meta) {
            true => Interest::always(),
            false => Interest::never(),
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.accepts(meta)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(level_filter_of(self.logger.shared.filter.coarse()))
    }

    /// A span the logger's filter refuses keeps no fields, and events
    /// leave it out of their scope: under a per-layer filter the layer
    /// hears of spans its own interest would have disabled.
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !self.accepts_static(attrs.metadata()) {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Vec::new();
        attrs.record(&mut FieldsVisitor(&mut fields, self.span_cap()));
        let key = self.key();
        let mut ext = span.extensions_mut();
        match ext.get_mut::<SpanFields>() {
            Some(all) if all.get(key).is_some() => {}
            Some(all) => all.more.push((key, fields)),
            None => ext.insert(SpanFields {
                first: (key, fields),
                more: Vec::new(),
            }),
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let key = self.key();
        let kept = span.extensions().get::<SpanFields>().map(|f| f.get(key).is_some());
        if kept != Some(true) {
            return; // refused (see `on_new_span`)
        }
        // The values' `Debug` runs user code: before the span's extensions
        // are locked, so a panic there cannot poison them (every later
        // event in the span would panic) and code that reads the span
        // cannot deadlock on them.
        let mut fields = Vec::new();
        values.record(&mut FieldsVisitor(&mut fields, self.span_cap()));
        let mut ext = span.extensions_mut();
        if let Some(f) = ext.get_mut::<SpanFields>().and_then(|f| f.get_mut(key)) {
            replace_fields(f, &fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = level_of(meta.level());
        if is_log_record(meta) {
            // `LogTracer` asked `enabled` with the record's target; a
            // per-layer filter may have answered for the layer.
            return Origin::with(event, |o| {
                if self.logger.shared.enabled_for(level, &o.target) {
                    let at = o.location();
                    self.log_event(event, &ctx, &o.target, at, encode_log_record);
                }
            });
        }
        // Without a per-layer filter, interest was decided at
        // registration and this check costs one load (a per-thread cached
        // lookup below the default level with target directives); it
        // covers a `set_level` racing with the rebuild of the interest
        // cache.
        // Under one (`.with_filter(..)`), that filter's interest replaces
        // the layer's and `tracing` calls this for every event it passes:
        // the target directives decide here.
        if !self.accepts_static(meta) {
            return;
        }
        let at = meta.file().zip(meta.line());
        self.log_event(event, &ctx, meta.target(), at, encode_event);
    }
}
