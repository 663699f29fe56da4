import type { Command } from 'commander';

// Placeholder until the owning capability registers its commands here.
export function registerRbacCommands(_program: Command): void {}
