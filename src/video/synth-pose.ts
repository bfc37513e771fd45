/** Where a synthetic object is at one instant: centre, rotation (radians) and size, in scene units. */
export interface Pose {
  x: number;
  y: number;
  angle: number;
  scale: number;
}
