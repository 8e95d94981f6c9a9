#!/usr/bin/env python3
"""Lines the slow calls of `burst_trace` up with what the kernel saw.

Usage: burst_trace.py DUMP EVENTS [SLOW_NS]

DUMP is what `benches/examples/burst_trace` wrote; EVENTS is
`perf script -F tid,cpu,time,event,trace --ns` of a `perf record -k
CLOCK_MONOTONIC` run around it (the example's doc comment has the commands).
For the calls slower than SLOW_NS (default 250) within a burst, and for the
first call of each burst, it counts what happened inside them on the
caller's thread (an interrupt, a fault, a switch) and what the writer thread
was doing: asleep, or awake (between the end of a sleep and the start of the
next), and how long since it woke, beside the same shares among all calls.
"""
import bisect
import collections
import signal
import sys

USAGE = 'usage: burst_trace.py DUMP EVENTS [SLOW_NS]'


class BadInput(Exception):
    """A file that cannot be used; the message names it and the line."""


class BadArguments(Exception):
    """Arguments that cannot be used: the message and the usage line."""


def load_calls(path):
    with open(path) as f:
        head = f.readline().split()
        if len(head) != 4 or head[0] != 'producer' or head[2] != 'writer':
            raise BadInput(f'{path}:1: expected "producer <tid> writer <tid>", got {" ".join(head)!r}')
        producer, writer = number(f'{path}:1', head[1]), number(f'{path}:1', head[3])
        calls = []
        for n, line in enumerate(f, start=2):
            fields = line.split()
            if len(fields) != 4:
                raise BadInput(f'{path}:{n}: expected "burst place time ns", got {line.strip()!r}')
            b, p, t, ns = (number(f'{path}:{n}', x) for x in fields)
            calls.append((b, p, t, ns))
    return producer, writer, calls


def number(where, text):
    """`text` as an integer, or an error naming `where` it is."""
    try:
        return int(text)
    except ValueError:
        raise BadInput(f'{where}: {text!r} is not a whole number') from None


def load_events(path):
    ev = collections.defaultdict(list)  # tid -> [(ns, name, trace)]
    for n, line in enumerate(open(path), start=1):
        parts = line.split(None, 4)
        if len(parts) < 4:
            continue
        at = f'{path}:{n}'
        tid = number(at, parts[0])
        sec, _, frac = parts[2].rstrip(':').partition('.')
        t = number(at, sec) * 1_000_000_000 + number(at, frac.ljust(9, '0')[:9])
        name = parts[3].rstrip(':')
        ev[tid].append((t, name, parts[4].strip() if len(parts) > 4 else ''))
    for v in ev.values():
        v.sort()
    return ev


def writer_awake_spans(events, writer):
    """(start, end) spans in which the writer was not in a sleep syscall."""
    spans, awake_from = [], None
    for t, name, _ in events.get(writer, []):
        if name == 'syscalls:sys_exit_clock_nanosleep':
            awake_from = t
        elif name == 'syscalls:sys_enter_clock_nanosleep' and awake_from is not None:
            spans.append((awake_from, t))
            awake_from = None
        elif name == 'syscalls:sys_enter_futex' and awake_from is not None:
            spans.append((awake_from, t))
            awake_from = None
    return spans


def main(args):
    if len(args) not in (2, 3):
        raise BadArguments(f'expected 2 or 3 arguments, got {len(args)}')
    if len(args) > 2 and not args[2].isdigit():
        raise BadArguments(f'SLOW_NS must be a whole number of nanoseconds, not {args[2]!r}')
    slow_ns = int(args[2]) if len(args) > 2 else 250
    producer, writer, calls = load_calls(args[0])
    events = load_events(args[1])
    mine = events.get(producer, [])
    times = [e[0] for e in mine]
    spans = writer_awake_spans(events, writer)
    starts = [s for s, _ in spans]
    writes = [t for t, n, _ in events.get(writer, []) if n == 'syscalls:sys_enter_write']

    def inside(t, ns):
        i = bisect.bisect_left(times, t)
        out = []
        while i < len(times) and times[i] <= t + ns:
            out.append(mine[i][1].split(':')[1])
            i += 1
        return out

    def writer_state(t, ns):
        """'asleep', or ('awake', ns since it woke) for the span overlapping the call."""
        i = bisect.bisect_right(starts, t + ns) - 1
        if i >= 0 and spans[i][1] >= t:
            return 'awake', max(0, t - spans[i][0])
        return 'asleep', None

    def describe(title, group, allcalls):
        n = len(group)
        print(f'{title}: {n} calls')
        if not n:
            return
        cause = collections.Counter()
        for b, p, t, ns in group:
            got = inside(t, ns)
            cause[','.join(sorted(set(got))) if got else 'nothing on the caller thread'] += 1
        for k, v in cause.most_common(8):
            print(f'    {k}: {v}')
        clean = [c for c in group if not inside(c[2], c[3])]
        aw = [writer_state(c[2], c[3]) for c in clean]
        awake = [x[1] for x in aw if x[0] == 'awake']
        base = [writer_state(c[2], c[3])[0] == 'awake' for c in allcalls]
        print(f'    of the {len(clean)} with nothing on the caller thread: writer awake in {len(awake)} '
              f'({100.0 * len(awake) / max(1, len(clean)):.1f}%; among all such calls '
              f'{100.0 * sum(base) / max(1, len(base)):.1f}%)')
        if awake:
            awake.sort()
            print(f'    ... ns since the writer woke: p10 {awake[len(awake) // 10]}, '
                  f'p50 {awake[len(awake) // 2]}, p90 {awake[9 * len(awake) // 10]}')
        # Place in the burst.
        places = collections.Counter(min(p // 100, 9) for b, p, t, ns in clean)
        print('    place in burst (hundreds):', dict(sorted(places.items())))

    in_burst = [c for c in calls if c[0] >= 0 and c[1] > 0]
    if not in_burst:
        raise BadInput(f'{args[0]}: no call inside a burst (place above 0) to look at')
    firsts = [c for c in calls if c[0] >= 0 and c[1] == 0]
    slow = [c for c in in_burst if c[3] > slow_ns]
    print(f'producer {producer}, writer {writer}; {len(spans)} writer wake spans, '
          f'{len(writes)} writer write() calls')
    in_burst_sorted = sorted(c[3] for c in in_burst)
    q = lambda v, x: v[min(len(v) - 1, int(len(v) * x))]
    print(f'in burst: {len(in_burst)} calls, p50 {q(in_burst_sorted, .5)} p99 {q(in_burst_sorted, .99)} '
          f'p99.9 {q(in_burst_sorted, .999)}; slower than {slow_ns} ns: {len(slow)}')
    describe(f'in-burst calls slower than {slow_ns} ns', slow, in_burst)
    tail = sorted(in_burst, key=lambda c: c[3])[-max(1, len(in_burst) // 1000):]
    describe('slowest 0.1% of in-burst calls', tail, in_burst)
    describe('first call of each burst', firsts, firsts)
    # How the in-burst latency depends on the writer being awake.
    aw = collections.defaultdict(list)
    for c in in_burst:
        if inside(c[2], c[3]):
            continue
        s, since = writer_state(c[2], c[3])
        aw[s].append(c[3])
    for s, v in sorted(aw.items()):
        v.sort()
        print(f'in-burst calls with nothing on the caller thread, writer {s}: {len(v)} calls, '
              f'p50 {q(v, .5)} p90 {q(v, .9)} p99 {q(v, .99)} p99.9 {q(v, .999)}')
    # Bursts during which the writer woke, and the latency right after waking.
    after = collections.defaultdict(list)
    for c in in_burst:
        s, since = writer_state(c[2], c[3])
        if s == 'awake' and not inside(c[2], c[3]):
            bucket = min(since // 1000, 20)
            after[bucket].append(c[3])
    print('in-burst calls by µs since the writer woke (awake, nothing on the caller thread):')
    for k in sorted(after):
        v = sorted(after[k])
        print(f'    {k:>2}{"+" if k == 20 else " "} µs: {len(v):>6} calls, p50 {q(v, .5)} p99 {q(v, .99)} '
              f'p99.9 {q(v, .999)}, over {slow_ns}: {sum(1 for x in v if x > slow_ns)}')


if __name__ == '__main__':
    # Output into a pipe closed early (`| head`) ends the script quietly.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if sys.argv[1:2] in (['-h'], ['--help']):
        print(USAGE)
        sys.exit(0)
    try:
        main(sys.argv[1:])
    except BadArguments as e:
        print(f'burst_trace.py: {e}\n{USAGE}', file=sys.stderr)
        sys.exit(2)
    except BadInput as e:
        sys.exit(f'burst_trace.py: {e}')
    except OSError as e:
        sys.exit(f'burst_trace.py: cannot read {e.filename}: {e.strerror}')
