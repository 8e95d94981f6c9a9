//! [`LogLayer`]: each enabled `tracing` event becomes one record with its
//! fields and span scope; the logger's filter answers callsite interest.

use super::visit::{encode_event, FieldsVisitor};
use super::{level_filter_of, level_of};
use crate::field::{push_span, replace_fields};
use crate::logger::Logger;
use crate::record::RecordKind;
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Event, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The `tracing` layer of a logger; made by [`layer`](super::layer).
#[derive(Clone, Debug)]
pub struct LogLayer {
    logger: Logger,
}

/// A span's fields, encoded once (see `field`), kept in its extensions.
struct SpanFields(Vec<u8>);

impl LogLayer {
    pub(super) fn new(logger: Logger) -> LogLayer {
        LogLayer { logger }
    }

    /// The logger's decision for a callsite (span or event).
    fn accepts(&self, meta: &Metadata<'_>) -> bool {
        self.logger
            .shared
            .enabled_for(level_of(meta.level()), meta.target())
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

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Vec::new();
        attrs.record(&mut FieldsVisitor(&mut fields));
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        // The values' `Debug` runs user code: before the span's extensions
        // are locked, so a panic there cannot poison them (every later
        // event in the span would panic) and code that reads the span
        // cannot deadlock on them.
        let mut fields = Vec::new();
        values.record(&mut FieldsVisitor(&mut fields));
        let mut ext = span.extensions_mut();
        match ext.get_mut::<SpanFields>() {
            Some(f) => replace_fields(&mut f.0, &fields),
            None => ext.insert(SpanFields(fields)),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = level_of(meta.level());
        // Interest was decided at registration; this one load covers a
        // `set_level` racing with the rebuild of the interest cache.
        if !self.logger.enabled(level) {
            return;
        }
        let scope = ctx.event_scope(event);
        let at = meta.file().zip(meta.line());
        self.logger
            .log_encoded(RecordKind::Scoped, level, meta.target(), at, |out| {
                encode_event(out, event);
                for span in scope.into_iter().flat_map(|s| s.from_root()) {
                    let ext = span.extensions();
                    let fields = ext.get::<SpanFields>().map_or(&[][..], |f| &f.0);
                    push_span(out, span.name(), fields);
                }
            });
    }
}
