"""Training as mathematics: unrolled exact steps, optimisers, float training traces,
linearisation at a tied point, quotient networks and the perceptron's learning rate."""
