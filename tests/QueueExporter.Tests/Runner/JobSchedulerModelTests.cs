using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using QueueExporter.Runner.Channels;
using Xunit;

namespace QueueExporter.Tests.Runner;

/// <summary>
/// Model-based test: seeded random event streams (random channel configurations with sequential,
/// throttled and paused channels; jobs at every level of configured, implicit and unconfigured
/// channels, with priorities and past or future etas; enqueued, started, done, failed, retried, requeued,
/// re-prioritised, moved and cancelled jobs; clock moves) are fed both to <see cref="JobScheduler"/> and to
/// <see cref="OcaChannelModel"/>, and every take must start the same jobs in the same order and ask for
/// the same wake-up. The model already leaves out the deliberate differences docs/runner.md names.
/// (Replayed once through OCA's own channels.py 16.0, these streams agreed on every take up to the first
/// job OCA parked in a parent's queue; that replay is not part of the build.)
/// A failure prints its seed, the channels and the whole stream; run that seed's case alone to replay it,
/// e.g. <c>dotnet test --filter "DisplayName~(seed: 123)"</c>.
/// </summary>
public class JobSchedulerModelTests
{
    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 500)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_streams_start_the_jobs_oca_would_start_apart_from_the_documented_differences(int seed) =>
        new EventStream(seed).Run(steps: 200);

    /// <summary>One seeded stream: the events, both schedulers, and the trace a failure prints.</summary>
    private sealed class EventStream
    {
        private static readonly string[] ConfigurablePaths = ["a", "a.x", "a.x.y", "b", "b.c", "s", "s.t"];
        private static readonly int[] Priorities = [1, 5, 10, 10, 20];

        private readonly int _seed;
        private readonly Random _random;
        private readonly FakeTimeProvider _clock = new(SchedulerFixture.Epoch);
        private readonly string _channels;
        private readonly string?[] _jobChannels;
        private readonly JobScheduler _scheduler;
        private readonly OcaChannelModel _model;
        private readonly Dictionary<string, LiveJob> _jobs = new(StringComparer.Ordinal);
        private readonly List<string> _trace = [];
        private int _nextId = 1;

        public EventStream(int seed)
        {
            _seed = seed;
            _random = new Random(seed);
            _channels = RandomChannels();
            var configuration = ChannelConfigurationParser.Parse(_channels);
            _scheduler = new JobScheduler(configuration, _clock);
            _model = new OcaChannelModel(configuration);
            _jobChannels = JobChannels(configuration);
        }

        private long Now => (long)(_clock.GetUtcNow() - SchedulerFixture.Epoch).TotalSeconds;

        public void Run(int steps)
        {
            for (var step = 0; step < steps; step++)
            {
                switch (_random.Next(100))
                {
                    case < 28: NewJob(); break;
                    case < 46: FinishRunningJob(); break;
                    case < 52: RequeueFailedJob(); break;
                    case < 57: ChangePendingJob(); break;
                    case < 60: DropPendingJob(); break;
                    case < 61: ForgetDatabase(); break;
                    case < 74: MoveClock(); break;
                    default: TakeAndCompare(step); break;
                }
            }

            TakeAndCompare(steps);
            Assert.Equal(_jobs.Count, _scheduler.JobCount);
        }

        private string RandomChannels()
        {
            var entries = new List<string>();
            switch (_random.Next(10))
            {
                case < 3: break;
                case < 6: entries.Add($"root:{_random.Next(0, 5)}"); break;
                case < 8: entries.Add("root:1:sequential"); break;
                case 8: entries.Add($"root:{_random.Next(1, 4)}:throttle={_random.Next(1, 4)}"); break;
                default: entries.Add("root:2"); break;
            }

            foreach (var path in ConfigurablePaths.OrderBy(_ => _random.Next()).Take(_random.Next(1, 5)))
            {
                entries.Add(_random.Next(10) switch
                {
                    < 4 => $"{path}:1:sequential",
                    < 6 => $"{path}:{_random.Next(0, 4)}",
                    < 8 => $"{path}:{_random.Next(0, 3)}:throttle={_random.Next(1, 5)}",
                    8 => $"{path}:1:sequential:throttle=2",
                    _ => $"{path}:{_random.Next(1, 3)}:paused",
                });
            }

            return string.Join(',', entries);
        }

        // Every level: configured channels, their implicit parents, unconfigured subchannels one and two
        // levels down, names OCA itself creates for those (root.s.s.x), short names and no channel at all.
        private static string?[] JobChannels(IReadOnlyList<ChannelConfiguration> configuration)
        {
            var existing = new SortedSet<string>(StringComparer.Ordinal) { "root" };
            foreach (var entry in configuration)
            {
                var segments = entry.Name.Split('.');
                for (var i = 1; i <= segments.Length; i++)
                {
                    existing.Add(string.Join('.', segments.Take(i)));
                }
            }

            var names = new List<string?> { null, "root.z", "root.z.w" };
            foreach (var name in existing)
            {
                names.AddRange([name, name + ".x", name + ".x.y", name + ".q"]);
                if (name != "root")
                {
                    var shortName = name["root.".Length..];
                    names.AddRange([shortName, $"{name}.{shortName}", $"{name}.{shortName}.x"]);
                }
            }

            return [.. names];
        }

        private void NewJob()
        {
            var id = _nextId++;
            var bytes = new byte[16];
            _random.NextBytes(bytes);
            var job = new LiveJob(
                _random.Next(4) == 0 ? "db2" : "db1",
                new Guid(bytes).ToString(),
                $"j{id}",
                id,
                _jobChannels[_random.Next(_jobChannels.Length)],
                Priorities[_random.Next(Priorities.Length)],
                Now - _random.Next(0, 60),
                _random.Next(10) < 6 ? null : Now + _random.Next(-5, 15));
            _jobs[job.Uuid] = job;
            Notify(job, _random.Next(12) switch { 0 => "enqueued", 1 => "started", 2 => "failed", _ => "pending" });
        }

        private void FinishRunningJob()
        {
            if (Pick(j => j.State is "enqueued" or "started") is not { } job)
            {
                return;
            }

            switch (_random.Next(10))
            {
                case < 4: Notify(job, "done"); break;
                case < 6: Notify(job, "failed"); break;
                case < 8:
                    job.Eta = Now + _random.Next(1, 9);
                    Notify(job, "pending");
                    break;
                case 8: Notify(job, "started"); break;
                default: Notify(job, "pending"); break;
            }
        }

        private void RequeueFailedJob()
        {
            if (Pick(j => j.State == "failed") is { } job)
            {
                job.Eta = _random.Next(3) == 0 ? Now + _random.Next(1, 9) : null;
                Notify(job, "pending");
            }
        }

        private void ChangePendingJob()
        {
            if (Pick(j => j.State == "pending") is not { } job)
            {
                return;
            }

            switch (_random.Next(3))
            {
                case 0: job.Priority = Priorities[_random.Next(Priorities.Length)]; break;
                case 1: job.Channel = _jobChannels[_random.Next(_jobChannels.Length)]; break;
                default: job.Eta = _random.Next(2) == 0 ? null : Now + _random.Next(-3, 12); break;
            }

            Notify(job, "pending");
        }

        private void DropPendingJob()
        {
            if (Pick(j => j.State == "pending") is not { } job)
            {
                return;
            }

            if (_random.Next(3) == 0)
            {
                _trace.Add($"{Now}: {job.Label} removed");
                Assert.True(_scheduler.Remove(job.Db, job.Uuid));
                _model.Notify(job.Db, job.Uuid, job.Channel, job.Priority, job.Created, job.Id, job.Eta, "done");
                _jobs.Remove(job.Uuid);
            }
            else
            {
                Notify(job, _random.Next(2) == 0 ? "cancelled" : "wait_dependencies");
            }
        }

        private void ForgetDatabase()
        {
            var db = _random.Next(2) == 0 ? "db1" : "db2";
            _trace.Add($"{Now}: forget {db}");
            _scheduler.ForgetDatabase(db);
            _model.ForgetDatabase(db);
            foreach (var job in _jobs.Values.Where(j => j.Db == db).ToList())
            {
                _jobs.Remove(job.Uuid);
            }
        }

        private void MoveClock()
        {
            // Often straight to the next wake-up, so that etas and pauses are met exactly at their second.
            var to = _random.Next(3) == 0 && _model.WakeUp(Now) is { } wake && wake > Now ? wake : Now + _random.Next(1, 7);
            _trace.Add($"{Now}: clock to {to}");
            _clock.SetUtcNow(SchedulerFixture.At((int)to));
        }

        private void TakeAndCompare(int step)
        {
            var ours = _scheduler.TakeRunnable().Select(j => _jobs[j.Uuid].Label).ToList();
            var oca = _model.Take(Now).Select(j => _jobs[j.Uuid].Label).ToList();
            _trace.Add($"{Now}: take [{string.Join(' ', oca)}]");
            Check(ours.SequenceEqual(oca), step, $"ours started [{string.Join(' ', ours)}], the OCA model [{string.Join(' ', oca)}]");
            foreach (var label in oca)
            {
                _jobs.Values.Single(j => j.Label == label).State = "enqueued";
            }

            var ourWakeUp = _scheduler.NextWakeUp() is { } at ? (long?)(long)(at - SchedulerFixture.Epoch).TotalSeconds : null;
            var ocaWakeUp = _model.WakeUp(Now);
            Check(ourWakeUp == ocaWakeUp, step, $"our wake-up {ourWakeUp?.ToString(CultureInfo.InvariantCulture) ?? "none"}, the OCA model's {ocaWakeUp?.ToString(CultureInfo.InvariantCulture) ?? "none"}");
        }

        private void Check(bool agreed, int step, string disagreement)
        {
            if (!agreed)
            {
                Assert.Fail($"seed {_seed}, step {step}, at {Now}s: {disagreement}\nchannels {_channels}\n{string.Join('\n', _trace)}");
            }
        }

        private void Notify(LiveJob job, string state)
        {
            job.State = state;
            _trace.Add($"{Now}: {job.Label} {state} in {job.Channel ?? "(none)"} ({job.Db}) p{job.Priority} created {job.Created}{(job.Eta is { } eta ? $" eta {eta}" : "")} -> {_model.ChannelOf(job.Channel)}");
            _scheduler.Upsert(new JobFacts(job.Db, job.Uuid, state, job.Channel, job.Priority, SchedulerFixture.At((int)job.Created), job.Id, job.Eta is { } e ? SchedulerFixture.At((int)e) : null));
            _model.Notify(job.Db, job.Uuid, job.Channel, job.Priority, job.Created, job.Id, job.Eta, state);
            if (state is not ("pending" or "enqueued" or "started" or "failed"))
            {
                _jobs.Remove(job.Uuid);
            }
        }

        private LiveJob? Pick(Func<LiveJob, bool> predicate)
        {
            var candidates = _jobs.Values.Where(predicate).OrderBy(j => j.Id).ToList();
            return candidates.Count == 0 ? null : candidates[_random.Next(candidates.Count)];
        }
    }

    /// <summary>The stream's own record of a row; ids are unique across databases, so no order ever rests on a tie.</summary>
    private sealed class LiveJob(string db, string uuid, string label, int id, string? channel, int priority, long created, long? eta)
    {
        public string Db { get; } = db;

        public string Uuid { get; } = uuid;

        public string Label { get; } = label;

        public int Id { get; } = id;

        public string? Channel { get; set; } = channel;

        public int Priority { get; set; } = priority;

        public long Created { get; } = created;

        public long? Eta { get; set; } = eta;

        public string State { get; set; } = "pending";
    }
}
