"""The search controller: studies (create / run / watch / stop / export), ask/tell (suggest / complete) and imports of
outside results, with typed results and iterators over the event streams.

    from tgsage_client import ControllerClient

    with ControllerClient() as ctl:
        study = ctl.create_study(space="convnet", strategy="evolution", num_trials=20, steps_per_trial=300)
        for event in ctl.run(study.id):                       # or ctl.watch(study.id) from another process
            if event.kind == "trial_completed":
                print(event.trial.number, event.trial.score)
        print(ctl.get(study.id).best)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Mapping

import numpy as np

from tgsage_client._common import SPACES, Client, genome_dict, lookup, name_of, to_genome
from tgsage_client._gen.tgsage.v1 import data_pb2, search_controller_pb2 as pb, search_controller_pb2_grpc, trainer_pb2
from tgsage_client.chunks import MAX_CHUNK_BYTES, layer_chunks
from tgsage_client.clients import COMPARATORS

SCORES = {"p+tg": pb.SCORE_KIND_P_TG, "p": pb.SCORE_KIND_P, "tg": pb.SCORE_KIND_TG}
STRATEGIES = ("random", "reinforce", "evolution")
ORIGINS = {
    "strategy": pb.TRIAL_ORIGIN_STRATEGY,
    "promoted": pb.TRIAL_ORIGIN_PROMOTED,
    "imported": pb.TRIAL_ORIGIN_IMPORTED,
}


def _state(enum, value: int, prefix: str) -> str:
    return enum.Name(value).replace(prefix, "").lower()


@dataclass(frozen=True)
class Trial:
    id: str
    study_id: str
    number: int
    state: str
    genome: Any = field(repr=False)
    p: float | None
    tg: float | None
    score: float | None
    steps: int
    rung: int
    origin: str
    source: str
    client_id: str
    trainer: str
    error: str
    parameter_count: int
    wall_seconds: float
    raw: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_proto(cls, t: pb.Trial) -> "Trial":
        opt = lambda name: getattr(t, name) if t.HasField(name) else None  # noqa: E731
        return cls(
            id=t.id,
            study_id=t.study_id,
            number=t.number,
            state=_state(pb.TrialState, t.state, "TRIAL_STATE_"),
            genome=t.genome,
            p=opt("p"),
            tg=opt("tg"),
            score=opt("score"),
            steps=t.steps,
            rung=t.rung,
            origin=name_of(ORIGINS, t.origin, "strategy"),
            source=t.source,
            client_id=t.client_id,
            trainer=t.trainer,
            error=t.error,
            parameter_count=t.parameter_count,
            wall_seconds=t.wall_seconds,
            raw=t,
        )

    @property
    def genome_dict(self) -> dict:
        return genome_dict(self.genome)


@dataclass(frozen=True)
class Study:
    id: str
    name: str
    state: str
    completed_trials: int
    best_trial_id: str
    error: str
    trials: list[Trial]
    trial_count: int = 0  # trials the study has, whether or not `trials` holds them (stop() and get(trials=False))
    raw: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_proto(cls, s: pb.Study) -> "Study":
        return cls(
            id=s.id,
            name=s.config.name,
            state=_state(pb.StudyState, s.state, "STUDY_STATE_"),
            completed_trials=s.completed_trials,
            best_trial_id=s.best_trial_id,
            error=s.error,
            trials=[Trial.from_proto(t) for t in s.trials],
            trial_count=s.trial_count,
            raw=s,
        )

    @property
    def best(self) -> Trial | None:
        return next((t for t in self.trials if t.id == self.best_trial_id), None)

    @property
    def ranked(self) -> list[Trial]:
        """Completed trials with a score, best first, as the leaderboard ranks them: later successive-halving rungs
        first, then higher score, then lower number."""
        done = [t for t in self.trials if t.state == "completed" and t.score is not None]
        return sorted(done, key=lambda t: (-t.rung, -t.score, t.number))


@dataclass(frozen=True)
class Event:
    """One study event. `kind` is snapshot, trial_proposed, trial_started, trial_progress, trial_completed,
    trial_failed, leaderboard or study_finished; `trial` / `study` / `leaderboard` / `progress` hold its content.
    ControllerClient's streams join a large snapshot's snapshot_trials events into the snapshot's `study.trials`
    (`raw` is then the first, partial, snapshot message)."""

    kind: str
    study_id: str
    trial: Trial | None = None
    study: Study | None = None
    leaderboard: list[dict] | None = None
    progress: Any = None
    raw: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_proto(cls, e: pb.StudyEvent) -> "Event":
        kind = e.WhichOneof("event") or ""
        value = getattr(e, kind) if kind else None
        out = dict(kind=kind, study_id=e.study_id, raw=e)
        if kind in ("snapshot", "study_finished"):
            out["study"] = Study.from_proto(value)
        elif kind in ("trial_proposed", "trial_completed", "trial_failed"):
            out["trial"] = Trial.from_proto(value)
        elif kind == "leaderboard":
            out["leaderboard"] = [
                {
                    "rank": x.rank,
                    "trial_id": x.trial_id,
                    "number": x.number,
                    "score": x.score,
                    "p": x.p,
                    "tg": x.tg,
                    "origin": name_of(ORIGINS, x.origin, "strategy"),
                    "source": x.source,
                }
                for x in value.entries
            ]
        elif kind in ("trial_started", "trial_progress"):
            out["progress"] = value
        return cls(**out)


def study_config(
    *,
    space: str = "convnet",
    strategy: str = "random",
    strategy_settings: Mapping[str, Any] | None = None,
    score: str = "",
    alpha: float | None = None,
    steps_per_trial: int = 0,
    num_trials: int = 0,
    parallelism: int = 0,
    teacher_id: str = "",
    teacher_layers: list[str] | None = None,
    dataset: str = "",
    data_dir: str = "",
    num_validation: int = 0,
    seed: int = 0,
    name: str = "",
    comparator: str = "spearman",
    multi_fidelity: Mapping[str, Any] | None = None,
    max_attempts: int = 0,
    eval_steps: list[int] | None = None,
) -> pb.StudyConfig:
    """A StudyConfig from keyword arguments (0 / "" = the controller's default; the default score is P, "p+tg" asks for
    teacher guidance); the controller validates it.
    `teacher_layers` (default: the teacher's tg_layers when the study is created, else all; ["*"]: all) are fixed at
    creation."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy: {strategy!r} is not one of {', '.join(STRATEGIES)}")
    settings = {"random": pb.RandomSettings, "reinforce": pb.ReinforceSettings, "evolution": pb.EvolutionSettings}[strategy]
    config = pb.StudyConfig(
        name=name,
        space=lookup(SPACES, "space", space),
        strategy=pb.StrategyConfig(**{strategy: settings(**dict(strategy_settings or {}))}),
        score=lookup(SCORES, "score", score) if score != "" else pb.SCORE_KIND_UNSPECIFIED,
        steps_per_trial=steps_per_trial,
        num_trials=num_trials,
        parallelism=parallelism,
        teacher_id=teacher_id,
        teacher_layers=list(teacher_layers or []),
        dataset=data_pb2.DatasetSpec(name=dataset, directory=data_dir, num_validation=num_validation),
        seed=seed,
        comparator=lookup(COMPARATORS, "comparator", comparator),
        max_attempts=max_attempts,
        training=trainer_pb2.TrainingConfig(eval_steps=list(eval_steps or [])),
    )
    if alpha is not None:
        config.alpha = alpha
    if multi_fidelity:
        config.multi_fidelity.CopyFrom(pb.MultiFidelityConfig(enabled=True, **dict(multi_fidelity)))
    return config


class ControllerClient(Client):
    _env = "TGSAGE_CONTROLLER_ADDR"
    _default = "127.0.0.1:50054"

    def __init__(self, address: str | None = None, **kwargs):
        super().__init__(address, **kwargs)
        self._stub = search_controller_pb2_grpc.SearchControllerStub(self.channel)

    # --- studies -----------------------------------------------------------------------------------------------

    def create_study(self, config: pb.StudyConfig | None = None, *, study_id: str = "", **kwargs) -> Study:
        """Creates a study from a StudyConfig or from study_config's keyword arguments (validated before any work)."""
        config = config if config is not None else study_config(**kwargs)
        return Study.from_proto(self._stub.CreateStudy(pb.CreateStudyRequest(config=config, study_id=study_id), timeout=self.timeout))

    def run(self, study_id: str = "", *, config: pb.StudyConfig | None = None, timeout: float | None = None) -> Iterator[Event]:
        """Runs (or resumes) a study and yields its events until it finishes. Leaving the loop early cancels only the
        stream: the study keeps running (stop it with `stop`)."""
        return self._events(self._stub.RunStudy(pb.RunStudyRequest(study_id=study_id, config=config), timeout=timeout))

    def watch(self, study_id: str, *, timeout: float | None = None) -> Iterator[Event]:
        """A snapshot of the study, then its events until it finishes."""
        return self._events(self._stub.WatchStudy(pb.WatchStudyRequest(study_id=study_id), timeout=timeout))

    def _events(self, call) -> Iterator[Event]:
        """Events as they come, except that a large study's snapshot (a snapshot event, then snapshot_trials events
        with the trials that did not fit in it) is yielded as one snapshot event with every trial."""
        snapshot: Event | None = None  # a snapshot still missing trials (study.trial_count says how many it has)
        trials: list[Trial] = []
        try:
            for e in call:
                kind = e.WhichOneof("event")
                if kind == "snapshot_trials" and snapshot is not None:
                    trials.extend(Trial.from_proto(t) for t in e.snapshot_trials.trials)
                elif kind == "snapshot":
                    snapshot = Event.from_proto(e)
                    trials = list(snapshot.study.trials)
                else:
                    if snapshot is not None:  # a server that sent fewer than it announced: what came
                        yield replace(snapshot, study=replace(snapshot.study, trials=trials))
                        snapshot = None
                    yield Event.from_proto(e)
                    continue
                if snapshot is not None and len(trials) >= snapshot.raw.snapshot.trial_count:
                    yield replace(snapshot, study=replace(snapshot.study, trials=trials))
                    snapshot = None
            if snapshot is not None:
                yield replace(snapshot, study=replace(snapshot.study, trials=trials))
        finally:
            call.cancel()

    def get(self, study_id: str, *, trials: bool = True) -> Study:
        """The study, with every trial (paged with ListTrials, so a study of any size comes back) unless `trials` is
        False. For a running study the trials are read after the study, so completed_trials may lag them."""
        basic = pb.GetStudyRequest(study_id=study_id, view=pb.STUDY_VIEW_BASIC)
        study = Study.from_proto(self._stub.GetStudy(basic, timeout=self.timeout))
        return replace(study, trials=list(self.trials(study_id))) if trials else study

    def trials(self, study_id: str, *, page_size: int = 1000) -> Iterator[Trial]:
        """A study's trials in number order, fetched a page at a time (a page holds at most 4 MiB)."""
        token = ""
        while True:
            page = self._stub.ListTrials(
                pb.ListTrialsRequest(study_id=study_id, page_size=page_size, page_token=token), timeout=self.timeout
            )
            yield from (Trial.from_proto(t) for t in page.trials)
            if not page.next_page_token:
                return
            token = page.next_page_token

    def list(self) -> list[Study]:
        """Every study, newest first, without trials (following ListStudies' pages)."""
        out: list[Study] = []
        token = ""
        while True:
            page = self._stub.ListStudies(pb.ListStudiesRequest(page_size=1000, page_token=token), timeout=self.timeout)
            out.extend(Study.from_proto(s) for s in page.studies)
            if not page.next_page_token:
                return out
            token = page.next_page_token

    def stop(self, study_id: str) -> Study:
        """Stops the study; returns it without trials (`trial_count` says how many; `get` reads them)."""
        return Study.from_proto(self._stub.StopStudy(pb.StopStudyRequest(study_id=study_id), timeout=self.timeout))

    def export(self, study_id: str, format: str = "json") -> str:
        """The study as JSON or CSV text (ExportStudy streams it in pieces of at most 1 MiB; they are joined here)."""
        fmt = lookup({"json": pb.EXPORT_FORMAT_JSON, "csv": pb.EXPORT_FORMAT_CSV}, "format", format)
        pieces = self._stub.ExportStudy(pb.ExportStudyRequest(study_id=study_id, format=fmt), timeout=self.timeout)
        return "".join(piece.content for piece in pieces)

    # --- ask / tell -------------------------------------------------------------------------------------------

    def suggest(self, study_id: str, client_id: str, count: int = 1) -> list[Trial]:
        """Ask: trials for this client to evaluate (its pending ones first; fewer once the budget is reached)."""
        r = self._stub.SuggestTrials(pb.SuggestTrialsRequest(study_id=study_id, client_id=client_id, count=count), timeout=self.timeout)
        return [Trial.from_proto(t) for t in r.trials]

    def complete(
        self,
        study_id: str,
        trial_id: str,
        client_id: str,
        *,
        p: float | None = None,
        activations: Mapping[str, np.ndarray] | None = None,
        train_here: bool = False,
        failure: str = "",
        timeout: float | None = None,
    ) -> Trial:
        """Tell: P and/or the candidate's activations on the teacher's stimuli (scored here for TG), or train_here
        (the controller trains and scores it on its trainers), or a failure reason."""
        header = pb.CompleteTrialHeader(study_id=study_id, trial_id=trial_id, client_id=client_id, train_here=train_here, failure=failure)
        if p is not None:
            header.p = p
        return self._complete(header, activations, timeout)

    def import_trial(
        self,
        study_id: str,
        genome: Any,
        *,
        p: float | None = None,
        activations: Mapping[str, np.ndarray] | None = None,
        train_here: bool = False,
        source: str = "",
        client_id: str = "",
        timeout: float | None = None,
    ) -> Trial:
        """Imports a result the study did not suggest (e.g. your search history): the genome with P, and/or its
        activations (scored here for TG), or train_here. It is ranked with the study's trials and teaches its
        strategy, but does not count against num_trials. `source` labels where it comes from."""
        header = pb.CompleteTrialHeader(
            study_id=study_id, client_id=client_id, genome=to_genome(genome), train_here=train_here, source=source
        )
        if p is not None:
            header.p = p
        return self._complete(header, activations, timeout)

    def import_history(self, study_id: str, history, *, source: str = "") -> list[Trial]:
        """Imports (genome, p) pairs one by one; returns the imported trials."""
        return [self.import_trial(study_id, g, p=p, source=source) for g, p in history]

    def _complete(self, header: pb.CompleteTrialHeader, activations, timeout) -> Trial:
        def requests():
            yield pb.CompleteTrialRequest(header=header)
            for name, array in (activations or {}).items():
                for chunk in layer_chunks(name, array, MAX_CHUNK_BYTES):
                    yield pb.CompleteTrialRequest(chunk=chunk)

        return Trial.from_proto(self._stub.CompleteTrial(requests(), timeout=timeout))
