import { afterEach } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../simulator/index.ts';

/**
 * For a test file whose tests each start their own simulator: returns the function to start one,
 * and closes every simulator it started after the test that started it (vitest `afterEach`).
 */
export function simulatorPerTest(): (options: SimulatorOptions) => Promise<Simulator> {
  const started: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((sim) => sim.close()));
  });
  return async (options) => {
    const sim = await startSimulator(options);
    started.push(sim);
    return sim;
  };
}
