import type { Simulator, SimulatorOptions } from '../../simulator/index.ts';
import type { Config } from '../../src/config/index.ts';
import type { TopicNames } from '../../src/kafka/index.ts';
import type { ServiceResult } from '../../src/service.ts';
import { cleanUpAfterFile } from './cleanup.ts';
import { FakeClock } from './fake-clock.ts';
import { runUntilCaughtUp, type TestConfigOverrides, testConfig, topicsOf } from './pipeline.ts';
import { simulatorPerTest } from './simulator-per-test.ts';

/** What a runner integration test starts from. */
export interface ScenarioOptions {
  /** The simulated Marketo world (seed, sizes, dates, limits…); `clock` is set by `fakeClockAt`. */
  world: Omit<SimulatorOptions, 'clock'>;
  /** Start a FakeClock there, shared by the simulator and the service (pacing waits cost no real time). */
  fakeClockAt?: string;
  /** Configuration overrides (see testConfig). */
  config?: TestConfigOverrides;
}

/** A simulator, the shared clock (if any) and a parsed configuration with a fresh topic prefix. */
export interface Scenario {
  sim: Simulator;
  /** The FakeClock of `fakeClockAt`; undefined when the scenario runs in real time. */
  clock: FakeClock | undefined;
  config: Readonly<Config>;
  topics: TopicNames;
  /** Another configuration on the same simulator (fresh prefix and ids unless overridden). */
  configWith(overrides: TestConfigOverrides): Readonly<Config>;
  /** Runs the service in-process until every stream has caught up (default: this scenario's config). */
  runUntilCaughtUp(config?: Readonly<Config>): Promise<ServiceResult>;
}

/**
 * Call at the top of a test file: returns a function that starts a scenario. Each scenario's
 * simulator closes after its test; its topics, subjects and Redis keys are removed after the file.
 */
export function useScenario(): (options: ScenarioOptions) => Promise<Scenario> {
  const start = useSimulator();
  return async ({ world, fakeClockAt, config: overrides = {} }) => {
    const clock = fakeClockAt === undefined ? undefined : new FakeClock(fakeClockAt);
    const sim = await start({ ...world, ...(clock ? { clock } : {}) });
    const config = testConfig(sim, overrides);
    return {
      sim,
      clock,
      config,
      topics: topicsOf(config),
      configWith: (more) => testConfig(sim, more),
      runUntilCaughtUp: (other = config) => runUntilCaughtUp(other, clock),
    };
  };
}

/**
 * Call at the top of a test file that needs only a simulator (and builds its own configuration):
 * returns a function that starts one. Each simulator closes after its test; the topics, subjects
 * and Redis keys the file's configurations name are removed after the file.
 */
export function useSimulator(): (options: SimulatorOptions) => Promise<Simulator> {
  cleanUpAfterFile();
  return simulatorPerTest();
}
