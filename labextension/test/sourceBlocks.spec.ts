import { SourceAnswer, sourceBlocks } from '../src/model';

const text = ['def f(x):', '    a = 1', '    return np.dot(x, x)', '', 'y = f(z)'].join('\n') + '\n';

describe('sourceBlocks', () => {
  it('shows one block per file, numbered as in the file', () => {
    const answer: SourceAnswer = {
      file: 'cell5.py',
      text,
      sections: [
        { file: 'cell3.py', functions: ['f'], offset: 0, lines: 4 },
        { file: 'cell5.py', functions: ['cell5'], offset: 4, lines: 1 }
      ],
      primitives: [
        { instance: 'dot$3$11', primitive: 'dot', line: 3, col: 11, file: 'cell3.py', file_line: 3 },
        { instance: 'f$1$4', primitive: 'f', line: 5, col: 4, file: 'cell5.py', file_line: 1 }
      ]
    };
    expect(sourceBlocks(answer, 1)).toEqual([
      { file: 'cell3.py', functions: ['f'], from: 2, to: 4, firstNumber: 2 },
      { file: 'cell5.py', functions: ['cell5'], from: 5, to: 5, firstNumber: 1 }
    ]);
  });

  it('treats an answer without sections as one file', () => {
    const answer: SourceAnswer = {
      file: null,
      text,
      primitives: [{ instance: 'dot$3$11', primitive: 'dot', line: 3, col: 11 }]
    };
    expect(sourceBlocks(answer, 2)).toEqual([
      { file: null, functions: [], from: 1, to: 5, firstNumber: 1 }
    ]);
  });

  it('shows a whole section none of whose lines has a primitive', () => {
    const answer: SourceAnswer = {
      file: 'a.py',
      text: 'x\ny\n',
      sections: [{ file: 'a.py', functions: [], offset: 0, lines: 2 }],
      primitives: []
    };
    expect(sourceBlocks(answer)).toEqual([{ file: 'a.py', functions: [], from: 1, to: 2, firstNumber: 1 }]);
  });
});
